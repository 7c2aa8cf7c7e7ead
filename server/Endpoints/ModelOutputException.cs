namespace LatentEbm.Server.Endpoints;

/// <summary>The model produced NaN or infinity for a request (a 500 problem: a model fault, not the client's).</summary>
public sealed class ModelOutputException() : Exception("the model produced a non-finite value for this input")
{
    /// <summary>Throws unless every value of every output is finite.</summary>
    public static void ThrowUnlessFinite(params float[]?[] outputs)
    {
        foreach (var values in outputs)
            if (values is not null && !values.All(float.IsFinite))
                throw new ModelOutputException();
    }
}
