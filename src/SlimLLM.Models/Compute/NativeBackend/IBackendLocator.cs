namespace SlimLLM.Compute.NativeBackend;

/// <summary>Finds a native backend's files. Returns null when this locator has nothing to offer; throws SlimLLMException when what it found is broken.</summary>
public interface IBackendLocator
{
    BackendLocation? Locate(BackendChoice choice);
}
