using DeepGen.Samples.Mnist;
using DeepGen.Serialization;
using Microsoft.Extensions.Options;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>
/// The one model the service serves, loaded for inference at start-up. Predict and Embed are safe to call from every
/// request thread at once: the runtime gives each call its own activation buffer.
/// </summary>
public sealed class ModelHost
{
    /// <summary>Loads the model named by the options, or throws <see cref="ModelStartupException"/> saying what is wrong.</summary>
    public ModelHost(IOptions<ServiceOptions> options)
    {
        Options = options.Value;
        if (string.IsNullOrWhiteSpace(Options.Path))
            throw new ModelStartupException(
                $"No model file is configured. Set '{ServiceOptions.Section}:Path' (environment variable {ServiceOptions.Section}__Path) to a file saved by {nameof(MnistMlp)}.Save.");
        if (!File.Exists(Options.Path))
            throw new ModelStartupException($"The model file '{Options.Path}' ({ServiceOptions.Section}:Path) does not exist.");
        if (Options.MaxBatchSize <= 0 || Options.MaxRequestBytes is <= 0 or > ServiceOptions.MaxRequestBytesLimit)
            throw new ModelStartupException(
                $"'{ServiceOptions.Section}:MaxBatchSize' must be positive and '{ServiceOptions.Section}:MaxRequestBytes' between 1 and {ServiceOptions.MaxRequestBytesLimit}.");

        Model = new MnistMlp();
        try
        {
            Model.LoadForInference(Options.Path);
        }
        catch (InvalidModelFileException error)
        {
            throw new ModelStartupException($"The model file '{Options.Path}' does not hold the weights of {nameof(MnistMlp)} ({Model.Architecture.Signature}): {error.Message}", error);
        }

        // Activation buffers for as many requests at once as there are processors, so the first requests allocate none.
        Model.ReserveInferenceWorkspaces(Math.Min(Environment.ProcessorCount, 8), Math.Min(Options.MaxBatchSize, SequentialModel.DefaultInferenceBatchSize));

        var layers = Model.Architecture.Layers;
        DefaultEmbeddingLayer = Options.DefaultEmbeddingLayer is { Length: > 0 } name
            ? Model.TryGetLayer(name, out var layer) ? layer
                : throw new ModelStartupException($"'{ServiceOptions.Section}:DefaultEmbeddingLayer' is '{name}', but the model's layers are: {string.Join(", ", Model.LayerNames)}.")
            : layers[Math.Max(0, layers.Count - 2)];
    }

    /// <summary>The settings in force.</summary>
    public ServiceOptions Options { get; }

    /// <summary>The loaded model.</summary>
    public MnistMlp Model { get; }

    /// <summary>The layer embeddings come from unless a request names another.</summary>
    public LayerInfo DefaultEmbeddingLayer { get; }

    /// <summary>Floats per input sample.</summary>
    public int InputSize => Model.Architecture.InputSize;
}

/// <summary>The service cannot start: its configuration or model file is wrong. The message says how.</summary>
public sealed class ModelStartupException(string message, Exception? inner = null) : Exception(message, inner);
