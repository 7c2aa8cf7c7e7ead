using LatentEbm.Data.IO;

namespace LatentEbm.Pipelines.Plots;

/// <summary>A confusion matrix as a PNG heat map (ScottPlot): rows actual, columns predicted, shade = share of the row.</summary>
public static class ConfusionPlot
{
    /// <summary>Writes the heat map of <paramref name="counts"/> <c>[actual][predicted]</c> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, double[][] counts, string title)
    {
        int k = counts.Length;
        var shares = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            double total = Math.Max(1, counts[i].Sum());
            for (int j = 0; j < k; j++) shares[i, j] = counts[i][j] / total; // ScottPlot draws row 0 at the top
        }
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                var text = plot.Add.Text(counts[i][j].ToString("0"), j, k - 1 - i);
                text.LabelFontColor = shares[i, j] > 0.5 ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
                text.LabelFontSize = 10;
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
            }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, k).Select(i => (double)i)], [.. Enumerable.Range(0, k).Select(i => i.ToString())]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, k).Select(i => (double)(k - 1 - i))], [.. Enumerable.Range(0, k).Select(i => i.ToString())]);
        plot.XLabel("predicted");
        plot.YLabel("actual");
        plot.Title(title);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(640, 560, ScottPlot.ImageFormat.Png));
    }
}
