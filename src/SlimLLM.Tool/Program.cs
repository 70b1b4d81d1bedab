Console.WriteLine($"torch {SlimLLM.TorchCheck.Version()} sum={SlimLLM.TorchCheck.Sum()}");
