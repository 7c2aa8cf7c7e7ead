using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

public class NativeLoadTests
{
    [Fact]
    public void TorchSharpLoadsAndRunsATensorOperation()
    {
        TorchTestSetup.Init();
        using var a = arange(6, dtype: float64).reshape(2, 3);
        using var product = a.matmul(a.t());
        // [[0,1,2],[3,4,5]] x its transpose = [[5,14],[14,50]]
        Assert.Equal([5.0, 14.0, 14.0, 50.0], product.data<double>().ToArray());
    }
}
