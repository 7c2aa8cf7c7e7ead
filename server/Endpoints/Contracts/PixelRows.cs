namespace LatentEbm.Server.Endpoints.Contracts;

/// <summary>
/// The <c>images</c> field of a JSON body: <see cref="Rows"/> rows of <see cref="RowLength"/> numbers each (an image
/// <c>[C, H, W]</c> flattened row-major), held flat in <see cref="Values"/>. Read by <see cref="Json.PixelRowsConverter"/>,
/// which allocates exactly 4 bytes per number; described in the OpenAPI document as an array of arrays of numbers.
/// </summary>
/// <param name="Values">The numbers, row after row: <c>Rows * RowLength</c> of them, each finite as a float.</param>
/// <param name="Rows">Number of rows (images), at least 1.</param>
/// <param name="RowLength">Numbers per row, the same for every row.</param>
public sealed record PixelRows(float[] Values, int Rows, int RowLength);
