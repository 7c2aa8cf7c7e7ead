namespace LatentEbm.Training.Model;

/// <summary>How <see cref="LatentEbmModel"/> differentiates its networks with respect to z.</summary>
public enum InputGradientMethod
{
    /// <summary>Hand-written input VJPs (<see cref="IInputGradient"/>), no autograd graph.</summary>
    Analytic,
    /// <summary>torch.autograd.grad on a graph built per step; any module.</summary>
    Autograd,
}
