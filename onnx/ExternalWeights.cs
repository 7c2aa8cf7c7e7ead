using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;

namespace LatentEbm.Onnx;

/// <summary>
/// Moves the large initializers of several models into one shared external-data file (ONNX's
/// external data: location, offset, length), storing each distinct tensor once. A bundle's six
/// graphs reuse the same prior and generator weights, so they share one copy on disk.
/// </summary>
public static class ExternalWeights
{
    /// <summary>Initializers smaller than this stay inside their model.</summary>
    public const int MinimumBytes = 1024;

    /// <summary>Offsets are multiples of this.</summary>
    public const int Alignment = 64;

    /// <summary>
    /// Rewrites every initializer of at least <see cref="MinimumBytes"/> in <paramref name="models"/>
    /// to point into <paramref name="fileName"/> and returns that file's contents.
    /// </summary>
    /// <param name="models">Models whose graphs hold raw-data initializers (changed in place).</param>
    /// <param name="fileName">The weights file's name, relative to the models' folder.</param>
    public static byte[] Externalize(IEnumerable<ModelProto> models, string fileName)
    {
        var blob = new MemoryStream();
        var offsets = new Dictionary<string, long>();
        foreach (var model in models)
            foreach (var tensor in model.Graph.Initializer)
            {
                if (tensor.RawData.Length < MinimumBytes) continue;
                byte[] bytes = tensor.RawData.ToByteArray();
                string key = Convert.ToHexString(SHA256.HashData(bytes));
                if (!offsets.TryGetValue(key, out long offset))
                {
                    blob.Write(new byte[(Alignment - blob.Length % Alignment) % Alignment]);
                    offset = blob.Length;
                    blob.Write(bytes);
                    offsets[key] = offset;
                }
                tensor.RawData = ByteString.Empty;
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Clear();
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = fileName });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString() });
            }
        return blob.ToArray();
    }
}
