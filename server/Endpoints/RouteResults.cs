// The typed results of the compute routes, one union per route (image and text models share /samples, /latents and
// /scores, so each union holds both kinds' answers). Their Ok<T> members give the OpenAPI document its 200 schemas.
global using SamplesResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.ImageSamples>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.TextSamples>,
    Microsoft.AspNetCore.Http.HttpResults.FileContentHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;
global using LatentsResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.ImageLatents>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.TextLatents>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;
global using ReconstructionsResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.Reconstructions>,
    Microsoft.AspNetCore.Http.HttpResults.FileContentHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;
global using ScoresResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.ImageScores>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<LatentEbm.Server.Endpoints.Contracts.TextScores>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;
