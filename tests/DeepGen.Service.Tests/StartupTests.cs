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

    [Theory]
    [InlineData("MaxTokens", "600", "'TextModel:MaxTokens' is 600; it must be 3 to 512")]
    [InlineData("MaxTokens", "2", "'TextModel:MaxTokens' is 2")]
    [InlineData("MaxTexts", "0", "must be positive; they are 0, 10000 and 32")]
    [InlineData("MaxTextCharacters", "-1", "must be positive; they are 256, -1 and 32")]
    [InlineData("BatchSize", "0", "must be positive; they are 256, 10000 and 0")]
    public void A_wrong_text_model_setting_stops_the_service(string setting, string value, string mentioned)
    {
        // The settings are checked before the model is loaded, so these cost no model load.
        var error = StartupError(service.ModelPath, ("TextModel:Enabled", "true"), ($"TextModel:{setting}", value));
        Assert.Contains(mentioned, error.Message);
    }

    [Fact]
    public void Wrong_text_model_settings_do_not_matter_while_it_is_disabled()
    {
        using var factory = ServiceFixture.Serve(service.ModelPath, ("TextModel:MaxTokens", "600"));
        using var client = factory.CreateClient();
    }

    private static ModelStartupException StartupError(string? path, params (string Key, string Value)[] settings)
    {
        using var factory = ServiceFixture.Serve(path, settings);
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
