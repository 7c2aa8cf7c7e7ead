using LatentEbm.Data.IO;

namespace LatentEbm.Pipelines.Plots;

/// <summary>The precision-recall curve as a PNG (ScottPlot), with the prevalence line (the curve of a random score).</summary>
public static class PrCurvePlot
{
    /// <summary>Writes the plot to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, double[] recall, double[] precision, double prevalence, string title)
    {
        var plot = new ScottPlot.Plot();
        var curve = plot.Add.Scatter(recall, precision);
        curve.MarkerSize = 0;
        curve.LineWidth = 2;
        curve.LegendText = "model";
        var random = plot.Add.HorizontalLine(prevalence);
        random.LinePattern = ScottPlot.LinePattern.Dashed;
        random.LegendText = $"prevalence {prevalence:F3} (random score)";
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.XLabel("recall");
        plot.YLabel("precision");
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(640, 480, ScottPlot.ImageFormat.Png));
    }
}
