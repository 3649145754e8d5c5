using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Samples.Tabular;

/// <summary>
/// Breast cancer diagnosis from 30 measurements of cell nuclei: two small ReLU layers and one sigmoid unit, the
/// probability that the tumour is malignant (class index 1 of the loaded labels; benign is 0). The Normalization
/// layer, adapted to the training features, puts the measurements (areas in the thousands, smoothness near 0.1) on
/// one scale; its mean and variance are saved with the weights, so a loaded model scales its inputs the same way.
/// </summary>
[Model(Input = 30)]
[Normalization(Name = "Scaling")]
[Dense(16, Relu, Name = "Hidden1")]
[Dense(8, Relu, Name = "Hidden2")]
[Dense(1, Sigmoid, Name = "Malignant")]
public partial class CancerClassifier;

/// <summary>
/// Diabetes progression one year after baseline (a number, about 25 to 346) from ten baseline measurements: two
/// ReLU layers and one linear unit, after a Normalization adapted to the training features (age in years, sex 1/2,
/// blood serum values in the hundreds).
/// </summary>
[Model(Input = 10)]
[Normalization(Name = "Scaling")]
[Dense(32, Relu, Name = "Hidden1")]
[Dense(16, Relu, Name = "Hidden2")]
[Dense(1, Linear, Name = "Progression")]
public partial class DiabetesRegressor;
