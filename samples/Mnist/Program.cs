System.Console.WriteLine("DeepGen MNIST sample: under construction");
