using System.Diagnostics;
using DeepGen;
using DeepGen.Samples.Mnist;
var n = 6000;
var rng = new Random(1);
var x = new float[n * 784]; var y = new float[n * 10];
for (var i = 0; i < n; i++) { var c = i % 10; y[i * 10 + c] = 1; for (var j = 0; j < 784; j++) x[i * 784 + j] = (j % 10 == c ? 200f : 0f) + rng.Next(0, 50); }
var model = new MnistMlp(seed: 1);
var h = model.Fit(x, y, epochs: 3, batchSize: 100, loss: Loss.MeanSquaredError, optimizer: new Sgd(0.1f));
var sw = Stopwatch.StartNew();
var xb = x.AsSpan(0, 100 * 784).ToArray(); var yb = y.AsSpan(0, 1000).ToArray();
var sgd = new Sgd(0.1f);
for (int i = 0; i < 600; i++) model.TrainStep(xb, yb, 100, Loss.MeanSquaredError, sgd);
Console.WriteLine($"600 steps: {sw.Elapsed.TotalSeconds:0.000}s");
