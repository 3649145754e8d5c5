using DeepGen.Samples.EmbeddingService;
using static DeepGen.Activation;

namespace DeepGen.Service.Tests;

/// <summary>A wrong configuration or model file stops the service at start-up with a message that says what is wrong.</summary>
[Collection(ServiceCollection.Name)]
public class StartupTests(ServiceFixture service)
{
    [Fact]
    public void A_file_of_another_model_stops_the_service()
    {
        var path = Path.Combine(service.Folder, "other.safetensors");
        new OtherModel(seed: 1).Save(path);
        var error = StartupError(path);
        Assert.Contains("does not hold the weights of MnistMlp", error.Message);
        Assert.Contains("OtherModel", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_safetensors_stops_the_service()
    {
        var path = Path.Combine(service.Folder, "garbage.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.Contains("does not hold the weights of MnistMlp", StartupError(path).Message);
    }

    [Fact]
    public void A_missing_file_or_setting_stops_the_service()
    {
        Assert.Contains("does not exist", StartupError(Path.Combine(service.Folder, "missing.safetensors")).Message);
        Assert.Contains("Model__Path", StartupError(null).Message);
    }

    [Fact]
    public void An_unknown_default_embedding_layer_stops_the_service()
    {
        using var factory = ServiceFixture.Serve(service.ModelPath, ("Model:DefaultEmbeddingLayer", "Hidden"));
        var error = Assert.IsType<ModelStartupException>(Innermost(Record.Exception(() => factory.CreateClient())));
        Assert.Contains("Dense0, Dense1, Dense2", error.Message);
    }

    private static ModelStartupException StartupError(string? path)
    {
        using var factory = ServiceFixture.Serve(path);
        return Assert.IsType<ModelStartupException>(Innermost(Record.Exception(() => factory.CreateClient())));
    }

    /// <summary>The host may wrap the start-up exception; the service's own is the one that explains.</summary>
    private static Exception? Innermost(Exception? error)
    {
        while (error is not null and not ModelStartupException && error.InnerException is not null) error = error.InnerException;
        return error;
    }
}

/// <summary>A model whose file the service must refuse.</summary>
[Model(Input = 784)]
[Dense(10, Softmax)]
public partial class OtherModel;
