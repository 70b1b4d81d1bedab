Console.WriteLine("slimllm: command line arrives with the model loader.");
