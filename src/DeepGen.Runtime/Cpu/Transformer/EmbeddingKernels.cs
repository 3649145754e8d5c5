using static DeepGen.Cpu.KernelArguments;

namespace DeepGen.Cpu;

/// <summary>
/// A BERT embedding layer's sum: <c>output[t] = tokens[id] + types[type] + positions[j]</c> for token <c>t</c> of a
/// sample at position <c>j</c> (BERT's order of addition). Output <c>[batch · sequence, dimensions]</c>, tables
/// <c>[rows, dimensions]</c> row-major. Ids, types and positions are checked before anything is written:
/// an id or type outside its table is an <see cref="ArgumentOutOfRangeException"/> naming sample and position.
/// </summary>
/// <remarks>
/// Lookups read and write each value once, so they run on the calling thread; the backward pass adds the rows of the
/// output gradient in token order, so its sums are the same on every run.
/// </remarks>
public static unsafe class EmbeddingKernels
{
    /// <param name="output"><c>[batch · sequence, dimensions]</c>.</param>
    /// <param name="ids">Token ids <c>[batch, sequence]</c>, each in <c>[0, V)</c>.</param>
    /// <param name="tokenTypes">Token types <c>[batch, sequence]</c>, each in <c>[0, T)</c>; empty means all 0.</param>
    /// <param name="tokens">The token table <c>[V, dimensions]</c>.</param>
    /// <param name="positions">The position table <c>[P, dimensions]</c> with <c>P ≥ sequence</c>, or empty for none.</param>
    /// <param name="types">The token-type table <c>[T, dimensions]</c>, or empty for none (then every type must be 0).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<int> ids, ReadOnlySpan<int> tokenTypes, ReadOnlySpan<float> tokens,
        ReadOnlySpan<float> positions, ReadOnlySpan<float> types, int batch, int sequence, int dimensions)
    {
        var (vocabulary, typeCount) = CheckTables(tokens.Length, positions.Length, types.Length, sequence, dimensions, "tokens", "positions", "types");
        CheckIds(ids, tokenTypes, batch, sequence, vocabulary, typeCount);
        CheckLength(output, (long)batch * sequence * dimensions, nameof(output));
        fixed (float* y = output)
        fixed (float* table = tokens)
        fixed (float* position = positions)
        fixed (float* type = types)
        {
            for (var t = 0; t < batch * sequence; t++)
            {
                var row = y + (long)t * dimensions;
                var token = table + (long)ids[t] * dimensions;
                if (type != null)
                    LayerNormalizationKernels.Add(row, token, type + (long)(tokenTypes.IsEmpty ? 0 : tokenTypes[t]) * dimensions, dimensions);
                else
                    Buffer.MemoryCopy(token, row, dimensions * sizeof(float), dimensions * sizeof(float));
                if (position != null) Runs.AddTo(row, position + (long)(t % sequence) * dimensions, dimensions);
            }
        }
    }

    /// <summary>
    /// The tables' gradients, overwritten: <c>tokenGradients[v] = Σ outputGradient[t]</c> over the tokens with id v,
    /// and likewise per type and per position (over the samples); rows never used are zero. Each sum runs in token
    /// order. Table gradients that are empty are skipped (the layer has no such table).
    /// </summary>
    /// <param name="tokenGradients"><c>[V, dimensions]</c>.</param>
    /// <param name="positionGradients"><c>[P, dimensions]</c> or empty.</param>
    /// <param name="typeGradients"><c>[T, dimensions]</c> or empty.</param>
    /// <param name="outputGradient"><c>[batch · sequence, dimensions]</c>.</param>
    public static void Backward(Span<float> tokenGradients, Span<float> positionGradients, Span<float> typeGradients,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> ids, ReadOnlySpan<int> tokenTypes, int batch, int sequence, int dimensions)
    {
        var (vocabulary, typeCount) = CheckTables(tokenGradients.Length, positionGradients.Length, typeGradients.Length, sequence, dimensions,
            nameof(tokenGradients), nameof(positionGradients), nameof(typeGradients));
        CheckIds(ids, tokenTypes, batch, sequence, vocabulary, typeCount);
        CheckLength(outputGradient, (long)batch * sequence * dimensions, nameof(outputGradient));
        tokenGradients.Clear();
        positionGradients.Clear();
        typeGradients.Clear();
        fixed (float* dy = outputGradient)
        fixed (float* dTokens = tokenGradients)
        fixed (float* dPositions = positionGradients)
        fixed (float* dTypes = typeGradients)
        {
            for (var t = 0; t < batch * sequence; t++)
            {
                var row = dy + (long)t * dimensions;
                Runs.AddTo(dTokens + (long)ids[t] * dimensions, row, dimensions);
                if (dTypes != null) Runs.AddTo(dTypes + (long)(tokenTypes.IsEmpty ? 0 : tokenTypes[t]) * dimensions, row, dimensions);
                if (dPositions != null) Runs.AddTo(dPositions + (long)(t % sequence) * dimensions, row, dimensions);
            }
        }
    }

    private static (int Vocabulary, int Types) CheckTables(int tokens, int positions, int types, int sequence, int dimensions,
        string tokensName, string positionsName, string typesName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (tokens == 0 || tokens % dimensions != 0)
            throw new ArgumentException($"'{tokensName}' holds {tokens} floats, not a whole number of rows of {dimensions}.", tokensName);
        if (positions % dimensions != 0)
            throw new ArgumentException($"'{positionsName}' holds {positions} floats, not a whole number of rows of {dimensions}.", positionsName);
        if (positions != 0 && positions / dimensions < sequence)
            throw new ArgumentException($"A sequence of {sequence} tokens is longer than the {positions / dimensions} positions of '{positionsName}'.", positionsName);
        if (types % dimensions != 0)
            throw new ArgumentException($"'{typesName}' holds {types} floats, not a whole number of rows of {dimensions}.", typesName);
        // Without a type table, type 0 means "no type" and is the only one allowed.
        return (tokens / dimensions, Math.Max(types / dimensions, 1));
    }

    private static void CheckIds(ReadOnlySpan<int> ids, ReadOnlySpan<int> tokenTypes, int batch, int sequence, int vocabulary, int typeCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var count = (long)batch * sequence;
        if (ids.Length != count)
            throw new ArgumentException($"'ids' holds {ids.Length} token ids; {batch} samples of {sequence} tokens need {count}.", nameof(ids));
        if (!tokenTypes.IsEmpty && tokenTypes.Length != count)
            throw new ArgumentException($"'tokenTypes' holds {tokenTypes.Length} values; {batch} samples of {sequence} tokens need {count} (or none).", nameof(tokenTypes));
        for (var t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[t],
                    $"token id {ids[t]} at sample {t / sequence}, position {t % sequence} is outside the vocabulary of {vocabulary}");
            if (!tokenTypes.IsEmpty && (uint)tokenTypes[t] >= (uint)typeCount)
                throw new ArgumentOutOfRangeException(nameof(tokenTypes), tokenTypes[t],
                    $"token type {tokenTypes[t]} at sample {t / sequence}, position {t % sequence} is outside the {typeCount} token types");
        }
    }
}
