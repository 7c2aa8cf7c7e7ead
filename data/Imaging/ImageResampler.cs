namespace LatentEbm.Data.Imaging;

/// <summary>
/// Resizes one 8-bit image plane with an antialiased bilinear (triangle) filter whose support widens
/// with the reduction factor, in the fixed-point arithmetic of Pillow's <c>Image.resize(size,
/// Image.BILINEAR)</c> (Pillow's <c>libImaging/Resample.c</c>: coefficients normalised to 22 bits,
/// a horizontal pass rounded to bytes, then a vertical pass), so its output equals Pillow's and hence
/// torchvision's <c>Resize</c>. Unlike point-sampled cubic filtering, every source pixel under an
/// output pixel contributes: fine detail averages out instead of aliasing when shrinking.
/// </summary>
internal static class ImageResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// The window <c>[cropX, cropX + outWidth) x [cropY, cropY + outHeight)</c> of <paramref name="plane"/>
    /// (<paramref name="width"/> x <paramref name="height"/>, row-major) resized to <paramref name="scaledWidth"/> x
    /// <paramref name="scaledHeight"/>; only the window is computed.
    /// </summary>
    public static byte[] ResizeAndCrop(byte[] plane, int width, int height, int scaledWidth, int scaledHeight, int cropX, int cropY, int outWidth, int outHeight)
    {
        // Horizontal pass over the rows the vertical pass reads (all of them when there is none).
        var (xBounds, xKernel, xSize) = Coefficients(width, scaledWidth);
        var (yBounds, yKernel, ySize) = Coefficients(height, scaledHeight);
        bool horizontal = scaledWidth != width, vertical = scaledHeight != height;
        int firstRow = vertical ? yBounds[2 * cropY] : cropY;
        int lastRow = vertical ? yBounds[2 * (cropY + outHeight - 1)] + yBounds[2 * (cropY + outHeight - 1) + 1] : cropY + outHeight;
        int rows = lastRow - firstRow;

        var temp = new byte[rows * outWidth];
        for (int y = 0; y < rows; y++)
        {
            var source = plane.AsSpan((firstRow + y) * width, width);
            for (int x = 0; x < outWidth; x++)
                temp[y * outWidth + x] = horizontal ? Apply(source, xBounds, xKernel, xSize, cropX + x) : source[cropX + x];
        }
        if (!vertical) return temp;

        var output = new byte[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            int row = cropY + y;
            for (int x = 0; x < outWidth; x++)
            {
                int start = yBounds[2 * row] - firstRow, taps = yBounds[2 * row + 1];
                long sum = 1 << (PrecisionBits - 1);
                for (int k = 0; k < taps; k++) sum += temp[(start + k) * outWidth + x] * (long)yKernel[row * ySize + k];
                output[y * outWidth + x] = Clip(sum);
            }
        }
        return output;
    }

    private static byte Apply(ReadOnlySpan<byte> line, int[] bounds, int[] kernel, int size, int at)
    {
        int start = bounds[2 * at], taps = bounds[2 * at + 1];
        long sum = 1 << (PrecisionBits - 1);
        for (int k = 0; k < taps; k++) sum += line[start + k] * (long)kernel[at * size + k];
        return Clip(sum);
    }

    private static byte Clip(long sum) => sum <= 0 ? (byte)0 : sum >= 255L << PrecisionBits ? (byte)255 : (byte)(sum >> PrecisionBits);

    /// <summary>Pillow's <c>precompute_coeffs</c> for the triangle filter (support 1) and <c>normalize_coeffs_8bpc</c>: per output index, the first source index and tap count, and the fixed-point taps.</summary>
    private static (int[] Bounds, int[] Kernel, int Size) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;
        int size = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[2 * outSize];
        var kernel = new int[outSize * size];
        var weights = new double[size];
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int taps = Math.Min((int)(center + support + 0.5), inSize) - min;
            double total = 0, inverse = 1.0 / filterScale;
            for (int k = 0; k < taps; k++)
            {
                double t = Math.Abs((k + min - center + 0.5) * inverse);
                weights[k] = t < 1 ? 1 - t : 0;
                total += weights[k];
            }
            for (int k = 0; k < taps; k++)
            {
                double w = total != 0 ? weights[k] / total : weights[k];
                kernel[o * size + k] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
            }
            bounds[2 * o] = min;
            bounds[2 * o + 1] = taps;
        }
        return (bounds, kernel, size);
    }
}
