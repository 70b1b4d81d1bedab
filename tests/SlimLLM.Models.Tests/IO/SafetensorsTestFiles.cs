using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SlimLLM.Tests.IO;

/// <summary>Hand-made safetensors bytes for tests: a header string and a data region, with an optional lying length prefix.</summary>
internal static class SafetensorsTestFiles
{
    public static byte[] Build(string headerJson, byte[] data, ulong? declaredHeaderLength = null) =>
        Build(Encoding.UTF8.GetBytes(headerJson), data, declaredHeaderLength);

    public static byte[] Build(byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static string Write(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Bytes 0, 1, 2, ... (mod 251, so no period aligns with element sizes).</summary>
    public static byte[] Counting(int length) => Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The header JSON of a file, padding included.</summary>
    public static string HeaderText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return Encoding.UTF8.GetString(bytes, 8, n);
    }
}
