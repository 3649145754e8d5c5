using System.Collections;

namespace DeepGen.Text;

/// <summary>
/// One batch of <see cref="TokenBatches"/>: <see cref="Batch"/> texts of at most <see cref="Sequence"/> tokens,
/// row-major <c>[Batch, Sequence]</c>, padded at the end with id 0 and mask 0, ready for a sequence model
/// (<c>new TokenBatch(b.Ids.Span, b.AttentionMask.Span, b.TokenTypes.Span, b.Batch, b.Sequence)</c>).
/// </summary>
public readonly struct TextBatch
{
    internal TextBatch(ReadOnlyMemory<int> ids, ReadOnlyMemory<int> attentionMask, ReadOnlyMemory<int> tokenTypes,
        ReadOnlyMemory<int> textIndices, int sequence)
    {
        Ids = ids;
        AttentionMask = attentionMask;
        TokenTypes = tokenTypes;
        TextIndices = textIndices;
        Sequence = sequence;
    }

    /// <summary>Token ids, <c>[Batch, Sequence]</c>; padding is 0 (<c>[PAD]</c>).</summary>
    public ReadOnlyMemory<int> Ids { get; }

    /// <summary>1 for a token of the text, 0 for padding, <c>[Batch, Sequence]</c>.</summary>
    public ReadOnlyMemory<int> AttentionMask { get; }

    /// <summary>Token types (segment ids), <c>[Batch, Sequence]</c>: all 0, since each row holds one text.</summary>
    public ReadOnlyMemory<int> TokenTypes { get; }

    /// <summary>For each row, the index of its text in the list the batches were made from.</summary>
    public ReadOnlyMemory<int> TextIndices { get; }

    /// <summary>Rows (texts) in this batch.</summary>
    public int Batch => TextIndices.Length;

    /// <summary>Tokens per row: the longest text's in this batch.</summary>
    public int Sequence { get; }
}

/// <summary>
/// Texts tokenized and grouped into batches of similar length, so a batch is padded only up to its own longest
/// text. Batches are ordered longest first; each row says which text it holds (<see cref="TextBatch.TextIndices"/>),
/// so results go back in input order.
/// </summary>
/// <remarks>
/// <para>
/// Texts are sorted by token count, longest first, ties in input order (the result is the same on every run). Longest
/// first so that the first call a model gets is its largest: scratch memory grows once, on that call, and the calls
/// after it allocate nothing.
/// </para>
/// <para>
/// All batches share three arrays (ids, mask, token types) holding exactly the padded tokens, plus one array of text
/// indices: memory does not grow with the number of batches, and batches can be read from several threads at once.
/// </para>
/// </remarks>
public sealed class TokenBatches : IReadOnlyList<TextBatch>
{
    private readonly int[] _ids;
    private readonly int[] _mask;
    private readonly int[] _types;
    private readonly int[] _order;
    // Batch b covers rows [b * _batchSize, …) of _order and tokens [_tokenStart[b], _tokenStart[b + 1]) of the arrays.
    private readonly long[] _tokenStart;
    private readonly int[] _sequence;
    private readonly int _batchSize;

    private TokenBatches(int[] tokens, int[] starts, int batchSize)
    {
        var texts = starts.Length - 1;
        _batchSize = batchSize;
        _order = new int[texts];
        for (var i = 0; i < texts; i++) _order[i] = i;
        // Longest first; ties keep input order (the sort is not stable, so the index decides).
        Array.Sort(_order, (a, b) =>
        {
            var byLength = (starts[b + 1] - starts[b]).CompareTo(starts[a + 1] - starts[a]);
            return byLength != 0 ? byLength : a.CompareTo(b);
        });

        var batches = (texts + batchSize - 1) / batchSize;
        _tokenStart = new long[batches + 1];
        _sequence = new int[batches];
        for (var b = 0; b < batches; b++)
        {
            var first = _order[b * batchSize];
            _sequence[b] = starts[first + 1] - starts[first];
            _tokenStart[b + 1] = _tokenStart[b] + (long)_sequence[b] * RowsIn(b);
        }

        var padded = _tokenStart[batches];
        if (padded > Array.MaxLength)
            throw new ArgumentException($"The texts make {padded:N0} padded tokens, more than an array holds; make batches of fewer texts at a time.");
        _ids = new int[padded];
        _mask = new int[padded];
        _types = new int[padded];
        for (var b = 0; b < batches; b++)
        for (var row = 0; row < RowsIn(b); row++)
        {
            var text = _order[b * batchSize + row];
            var length = starts[text + 1] - starts[text];
            var at = (int)_tokenStart[b] + row * _sequence[b];
            tokens.AsSpan(starts[text], length).CopyTo(_ids.AsSpan(at));
            _mask.AsSpan(at, length).Fill(1);
        }

        TokenCount = starts[texts];
    }

    /// <summary>
    /// Tokenizes <paramref name="texts"/> with <paramref name="tokenizer"/> and makes batches of up to
    /// <paramref name="batchSize"/> texts each.
    /// </summary>
    /// <exception cref="ArgumentNullException">A text is null (the message gives its index).</exception>
    public static TokenBatches Create(BertTextTokenizer tokenizer, IReadOnlyList<string> texts, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        // Every text's ids back to back in one array; starts[i] is where text i begins.
        var starts = new int[texts.Count + 1];
        var tokens = new int[(int)Math.Max(16, Math.Min(texts.Count * 32L, Array.MaxLength))];
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentNullException(nameof(texts), $"Text {i} is null.");
            if (tokens.Length - starts[i] < tokenizer.MaxSequence)
                Array.Resize(ref tokens, (int)Math.Min(Math.Max(2L * tokens.Length, starts[i] + (long)tokenizer.MaxSequence), Array.MaxLength));
            starts[i + 1] = starts[i] + tokenizer.Encode(text, tokens.AsSpan(starts[i]));
        }

        return new TokenBatches(tokens, starts, batchSize);
    }

    /// <summary>
    /// Batches of texts already tokenized (each row's ids as the model reads them, special tokens included), for
    /// callers with their own tokenizer. Each sequence needs at least one token.
    /// </summary>
    public static TokenBatches Create(IReadOnlyList<int[]> tokenized, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(tokenized);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var starts = new int[tokenized.Count + 1];
        for (var i = 0; i < tokenized.Count; i++)
        {
            var ids = tokenized[i] ?? throw new ArgumentNullException(nameof(tokenized), $"Sequence {i} is null.");
            if (ids.Length == 0) throw new ArgumentException($"Sequence {i} has no token.", nameof(tokenized));
            starts[i + 1] = checked(starts[i] + ids.Length);
        }

        var tokens = new int[starts[^1]];
        for (var i = 0; i < tokenized.Count; i++) tokenized[i].CopyTo(tokens, starts[i]);
        return new TokenBatches(tokens, starts, batchSize);
    }

    /// <summary>The number of texts.</summary>
    public int TextCount => _order.Length;

    /// <summary>The texts' tokens, padding not counted.</summary>
    public long TokenCount { get; }

    /// <summary>The tokens of all batches, padding counted.</summary>
    public long PaddedTokenCount => _tokenStart[^1];

    /// <summary>The number of batches.</summary>
    public int Count => _sequence.Length;

    /// <summary>Batch <paramref name="index"/>; batches come longest first.</summary>
    public TextBatch this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var start = (int)_tokenStart[index];
            var length = (int)(_tokenStart[index + 1] - _tokenStart[index]);
            return new TextBatch(_ids.AsMemory(start, length), _mask.AsMemory(start, length), _types.AsMemory(start, length),
                _order.AsMemory(index * _batchSize, RowsIn(index)), _sequence[index]);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<TextBatch> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int RowsIn(int batch) => Math.Min(_batchSize, _order.Length - batch * _batchSize);
}
