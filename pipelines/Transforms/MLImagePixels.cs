using System.Reflection;
using LatentEbm.Data.Imaging;
using Microsoft.ML.Data;
using SkiaSharp;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Reads an ML.NET image (<see cref="MLImage"/>, made by <c>LoadImages</c> or <c>ResizeImages</c> of
/// Microsoft.ML.ImageAnalytics) as <c>[C, H, W]</c> on [-1, 1] by <see cref="ImageDecoder.ToPlanes"/>, the rule
/// of every input path of the project (k / 127.5 − 1, RGB planes, BT.601 luminance for one channel).
/// </summary>
/// <remarks>
/// ML.NET 5.0.1's <c>MLImage.Pixels</c>, which its <c>ExtractPixels</c> transform reads, was compiled against
/// SkiaSharp 2.88, whose <c>SKBitmap.GetPixelSpan()</c> returns <c>ReadOnlySpan&lt;byte&gt;</c>; SkiaSharp 3 returns
/// <c>Span&lt;byte&gt;</c>, so in a process with SkiaSharp 3 (this solution pins 3.119.4, which ScottPlot 5.1 needs)
/// the getter throws <see cref="MissingMethodException"/> (dotnet/machinelearning issue 7413). The public getter is
/// tried first; where it fails, the bitmap behind the image (MLImage's private field <c>_image</c>) is read directly.
/// </remarks>
internal static class MLImagePixels
{
    private static readonly FieldInfo? BitmapField = typeof(MLImage).GetField("_image", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>1 while ML.NET's own pixel getter works, 0 once it failed with MissingMethodException.</summary>
    private static int publicGetterWorks = 1;

    /// <summary>Writes <paramref name="image"/>'s C·H·W values (H x W its own size) into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither ML.NET's getter nor the bitmap behind it can be read (another ML.NET layout).</exception>
    public static void ToPlanes(MLImage image, int channels, Span<float> destination)
    {
        int height = image.Height, width = image.Width;
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        if (Volatile.Read(ref publicGetterWorks) == 1)
        {
            try
            {
                ReadOnlySpan<byte> pixels = PublicPixels(image);
                ImageDecoder.ToPlanes(pixels, pixels.Length / height, bgra, channels, height, width, destination);
                return;
            }
            catch (MissingMethodException)
            {
                Volatile.Write(ref publicGetterWorks, 0);
            }
        }
        if (BitmapField?.GetValue(image) is not SKBitmap bitmap)
            throw new InvalidOperationException("cannot read the pixels of an ML.NET image: MLImage.Pixels fails with this SkiaSharp (dotnet/machinelearning issue 7413) and the bitmap behind it is not where ML.NET 5.0 keeps it; give the transform a Vector<Single> column instead");
        ImageDecoder.ToPlanes(bitmap.GetPixelSpan(), bitmap.RowBytes, bitmap.ColorType == SKColorType.Bgra8888, channels, height, width, destination);
    }

    /// <summary>ML.NET's getter, in a method of its own so that its failure to bind surfaces here as an exception.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ReadOnlySpan<byte> PublicPixels(MLImage image) => image.Pixels;
}
