using System.Runtime.InteropServices;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>The seam over dlopen, so tests can run the loading logic without a GPU.</summary>
public interface INativeLibraryLoader
{
    bool TryLoad(string path, out string? error);
}

public sealed class SystemNativeLibraryLoader : INativeLibraryLoader
{
    public bool TryLoad(string path, out string? error)
    {
        try
        {
            NativeLibrary.Load(path);
            error = null;
            return true;
        }
        catch (DllNotFoundException e)
        {
            // The message carries dlerror()'s text (the missing dependency or GLIBCXX symbol).
            error = e.Message;
            return false;
        }
        catch (BadImageFormatException e)
        {
            error = e.Message;
            return false;
        }
    }
}
