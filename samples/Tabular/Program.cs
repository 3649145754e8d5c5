// A first model on your own table of numbers: two small public data sets read from CSV files, split into training,
// validation and test parts, trained with early stopping, plotted, saved, loaded back and measured on the test part.
//   breast_cancer.csv  binary classification: sigmoid output, binary cross-entropy, a stratified split
//   diabetes.csv       regression: linear output, mean squared error, a plain random split
// The data sets, their sources and licences are described in data/DATA.md.
using System.Globalization;
using DeepGen;
using DeepGen.Data;
using DeepGen.Plots;
using DeepGen.Samples.Tabular;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;

try
{
    Directory.CreateDirectory(options.OutputDirectory);
    var ok = true;
    if (options.Task is TabularTask.Cancer or TabularTask.Both) ok &= BreastCancer(options);
    if (options.Task is TabularTask.Diabetes or TabularTask.Both) ok &= Diabetes(options);
    return ok ? 0 : 1;
}
catch (Exception e) when (e is CsvFormatException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

static bool BreastCancer(Options options)
{
    Console.WriteLine("== Breast cancer (Wisconsin diagnostic): malignant or benign ==");
    var data = CsvDataset.Load(Path.Combine(options.DataDirectory, "breast_cancer.csv"), label: "diagnosis");
    Console.WriteLine($"{data.SampleCount} samples, {data.FeatureCount} features; classes {Classes(data)}");

    // The label's class indices (benign 0, malignant 1: sorted names) are the sigmoid's 0/1 targets. Stratified, so
    // that training, validation and test each hold the data set's share of malignant tumours (37%).
    var split = DataSplit.Stratified(data.Features, data.Labels, data.FeatureCount, targetsPerSample: 1,
        validationFraction: 0.15f, testFraction: 0.2f, seed: options.Seed);
    Console.WriteLine($"Split: {Share(split.TrainY)} training, {Share(split.ValidationY)} validation, {Share(split.TestY)} test samples");

    var model = new CancerClassifier(seed: options.Seed);
    model.Adapt(split.TrainX);   // the Normalization's mean and variance, from the training part only
    model.Summary();
    var earlyStopping = new EarlyStopping(monitor: "val_loss", patience: options.Patience, restoreBestWeights: true);
    var history = model.Fit(split.TrainX, split.TrainY, options.Epochs, options.BatchSize, Loss.BinaryCrossEntropy,
        new Adam(options.LearningRate), seed: options.Seed, verbosity: Verbosity.Silent,
        validationData: (split.ValidationX, split.ValidationY), metrics: [new Accuracy(), new Auc()], callbacks: [earlyStopping]);
    Report(history, earlyStopping);

    var test = model.Evaluate(split.TestX, split.TestY, batchSize: 128,
        metrics: [new Accuracy(), new Precision(), new Recall(), new F1Score(), new Auc()]);
    var majority = Math.Max(Part(split.TestY), 1 - Part(split.TestY));
    Console.WriteLine($"Test: {test} (always guessing the larger class: accuracy {majority:0.0000})");
    var confusion = ConfusionMatrix.Compute(model.Predict(split.TestX), split.TestY, split.TestIndices.Length);
    Console.WriteLine($"Confusion matrix of the test part (rows: actual, columns: predicted; 0 = benign, 1 = malignant):\n{confusion}");

    return Finish(model, new CancerClassifier(), history, earlyStopping, split.TestX, options, "breast-cancer", "Breast cancer: binary cross-entropy");
}

static bool Diabetes(Options options)
{
    Console.WriteLine("== Diabetes: disease progression one year after baseline ==");
    var data = CsvDataset.Load(Path.Combine(options.DataDirectory, "diabetes.csv"), label: "progression");
    Console.WriteLine($"{data.SampleCount} samples, {data.FeatureCount} features ({string.Join(", ", data.FeatureNames)}); "
        + $"target {data.Labels.Min()} to {data.Labels.Max()}");

    var split = DataSplit.TrainValidationTest(data.Features, data.Labels, data.FeatureCount, targetsPerSample: 1,
        validationFraction: 0.15f, testFraction: 0.2f, seed: options.Seed);
    Console.WriteLine($"Split: {split.TrainIndices.Length} training, {split.ValidationIndices.Length} validation, {split.TestIndices.Length} test samples");

    var model = new DiabetesRegressor(seed: options.Seed);
    model.Adapt(split.TrainX);   // the Normalization's mean and variance, from the training part only
    model.Summary();
    var earlyStopping = new EarlyStopping(monitor: "val_loss", patience: options.Patience, restoreBestWeights: true);
    var history = model.Fit(split.TrainX, split.TrainY, options.Epochs, options.BatchSize, Loss.MeanSquaredError,
        new Adam(options.LearningRate), seed: options.Seed, verbosity: Verbosity.Silent,
        validationData: (split.ValidationX, split.ValidationY), metrics: [new MeanAbsoluteError()], callbacks: [earlyStopping]);
    Report(history, earlyStopping);

    var test = model.Evaluate(split.TestX, split.TestY, batchSize: 128,
        metrics: [new RootMeanSquaredError(), new MeanAbsoluteError(), new R2Score()]);
    Console.WriteLine($"Test: {test} (the loss is the mean squared error; R² 0 is always guessing the mean)");

    return Finish(model, new DiabetesRegressor(), history, earlyStopping, split.TestX, options, "diabetes", "Diabetes: mean squared error");
}

// The history plot, then Save, Load into a fresh model and the same predictions to the last bit.
static bool Finish(SequentialModel model, SequentialModel fresh, History history, EarlyStopping earlyStopping, float[] testX, Options options, string name, string title)
{
    var plot = Path.Combine(options.OutputDirectory, $"{name}-history.png");
    history.SavePlot(plot, title: title, bestEpoch: earlyStopping.BestEpoch);
    Console.WriteLine($"Wrote the training history to {Path.GetFullPath(plot)}");

    var weights = Path.Combine(options.OutputDirectory, $"{name}.safetensors");
    model.Save(weights);
    fresh.Load(weights);
    var same = model.Predict(testX).AsSpan().SequenceEqual(fresh.Predict(testX));
    Console.WriteLine(same
        ? $"Saved the weights to {Path.GetFullPath(weights)}; loaded back, they give the same test predictions."
        : $"Saved the weights to {Path.GetFullPath(weights)}, but the model loaded back predicts differently.");
    Console.WriteLine();
    return same;
}

static void Report(History history, EarlyStopping earlyStopping)
{
    var last = history.Epochs[^1];
    var stopped = earlyStopping.StoppedEpoch > 0 ? $"stopped early after epoch {earlyStopping.StoppedEpoch}" : $"ran all {last.Epoch} epochs";
    Console.WriteLine($"Trained: {stopped}; best validation loss {earlyStopping.Best:0.0000} at epoch {earlyStopping.BestEpoch}, whose weights were restored.");
}

static string Classes(CsvDataset data) =>
    string.Join(", ", data.ClassNames!.Select((name, index) => $"{index} = {name} ({data.Labels.Count(l => l == index)})"));

static string Share(float[] labels) => $"{labels.Length} ({Part(labels) * 100:0}% malignant)";

static float Part(float[] labels) => labels.Length == 0 ? 0 : labels.Count(l => l == 1f) / (float)labels.Length;
