using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LatentEbm.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LatentEbm.Server.Tests;

/// <summary>Issue 14, point 5: request body bytes in flight are held to a budget; over it the answer is 503 with Retry-After.</summary>
public class MemoryBudgetTests
{
    [Fact]
    public void TheBudgetReservesUntilFullAndReleases()
    {
        var budget = new RequestBodyBudget(100);
        Assert.True(budget.TryReserve(60));
        Assert.True(budget.TryReserve(40));
        Assert.False(budget.TryReserve(1)); // full: 100 of 100
        Assert.Equal(100, budget.InFlight);
        budget.Release(40);
        Assert.False(budget.TryReserve(41));
        Assert.True(budget.TryReserve(40));
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.TryReserve(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestBodyBudget(0));
    }

    [Fact]
    public async Task ABodyOverTheBudgetIs503WithRetryAfterUntilTheBodiesInFlightAreDone()
    {
        const long held = 1024 * 1024 - 1000; // a body held open by its client
        var options = new ServerFixture().Options() with { MaxBodyBytes = 1024 * 1024, MaxRequestBytesInFlight = 1536 * 1024 };
        var (app, client) = await ServerFixture.Start(options);
        await using (app)
        using (client)
        {
            var budget = app.Services.GetRequiredService<RequestBodyBudget>();
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var slow = client.PostAsync("/v1/models/mnist-digit4/scores", new HeldBody(held, release.Task));
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                while (budget.InFlight < held - 16) await Task.Delay(5, wait.Token); // until the service has read (and so holds) what was sent

            // 600 KB more would pass 1.5 MiB: refused before its body is read, with the budget named.
            var refused = await client.PostAsync("/v1/models/mnist-digit4/scores", Json(new string(' ', 600_000)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            {
                Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
                Assert.Equal(1536 * 1024, problem.RootElement.GetProperty("limit").GetInt64());
            }
            // A chunked body (no Content-Length) is held to the budget as it is read.
            var chunked = await client.PostAsync("/v1/models/mnist-digit4/scores", new ChunkedBody(600_000));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, chunked.StatusCode);
            Assert.Equal("1", chunked.Headers.GetValues("Retry-After").Single());
            // A small request, chunked as PostAsJsonAsync sends it, still fits beside the held body.
            var small = await client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 1, seed = 1 });
            Assert.True(small.StatusCode == HttpStatusCode.OK, await small.Content.ReadAsStringAsync());
            Assert.Equal(held - 16, budget.InFlight); // the refused and finished requests gave back what they held

            release.SetResult();
            var slowAnswer = await slow;
            Assert.Equal(HttpStatusCode.BadRequest, slowAnswer.StatusCode); // the held body was never valid JSON
            Assert.Equal(0, budget.InFlight);
            var retried = await client.PostAsync("/v1/models/mnist-digit4/scores", Json(new string(' ', 600_000)));
            Assert.Equal(HttpStatusCode.BadRequest, retried.StatusCode); // taken now: read, and refused for what it holds
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task RowsOverTheModelsQueuedRowsAre503WithRetryAfterAndOtherModelsServe()
    {
        var options = new ServerFixture().Options() with { MaxQueuedRowsPerModel = 300 };
        var (app, client) = await ServerFixture.Start(options);
        await using (app)
        using (client)
        {
            var queued = app.Services.GetRequiredService<ModelRegistry>().Find("mnist-digit4")!.QueuedRows;
            Assert.Equal(300, queued.Capacity);
            Assert.True(queued.TryReserve(250)); // rows of requests queued or running on the model
            var refused = await client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 51, seed = 1 });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            {
                Assert.Equal(300, problem.RootElement.GetProperty("limit").GetInt64());
                Assert.Equal(51, problem.RootElement.GetProperty("rows").GetInt32());
            }
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 50, seed = 1 })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/models/lebm-digit1/samples", new { count = 200, seed = 1 })).StatusCode);
            queued.Release(250);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 51, seed = 1 })).StatusCode);
            Assert.Equal(0, queued.InFlight);

            // A text model has its own budget of sentences.
            var text = app.Services.GetRequiredService<ModelRegistry>().QueuedRowsOf("ptb-text")!;
            Assert.True(text.TryReserve(299));
            var busy = await client.PostAsJsonAsync("/v1/models/ptb-text/scores", new { sentences = new[] { "the company said", "sales rose" }, seed = 1 });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal("1", busy.Headers.GetValues("Retry-After").Single());
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/models/ptb-text/scores", new { sentences = new[] { "sales rose" }, seed = 1 })).StatusCode);
            text.Release(299);
            Assert.Equal(0, text.InFlight);
            await app.StopAsync();
        }
    }

    [Fact]
    public void QueuedRowsBelowTheLargestRequestAreRefusedNamingTheOption()
    {
        var options = new ServerFixture().Options() with { MaxQueuedRowsPerModel = 255 };
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => LatentEbmServer.Build(options));
        Assert.Equal("Server:MaxQueuedRowsPerModel (--max-queued-rows) must be at least the largest request, 256 rows (Server:MaxImages (--max-images), "
            + "Server:MaxSamples (--max-samples), Server:MaxSentences (--max-sentences)), or such a request could never be taken; got 255", Assert.Single(e.Failures));
    }

    [Fact]
    public async Task ASlowClientHoldsOnlyTheBytesItHasSentNotItsContentLength()
    {
        const long declared = 1024 * 1024 - 1000;
        var options = new ServerFixture().Options() with { MaxBodyBytes = 1024 * 1024, MaxRequestBytesInFlight = 1536 * 1024 };
        var (app, client) = await ServerFixture.Start(options);
        await using (app)
        using (client)
        {
            var budget = app.Services.GetRequiredService<RequestBodyBudget>();
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Declares about 1 MiB, sends 64 bytes and stalls (a slow-loris upload): it must not hold 1 MiB of the 1.5 MiB,
            // and is cut once it falls below the minimum rate.
            var slow = client.PostAsync("/v1/models/mnist-digit4/scores", new HeldBody(declared, release.Task, heldBack: (int)declared - 64));
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                while (budget.InFlight == 0) await Task.Delay(5, wait.Token); // until the service has read what was sent
            Assert.InRange(budget.InFlight, 1, 64);
            var beside = await client.PostAsync("/v1/models/mnist-digit4/scores", Json(new string(' ', 600_000)));
            Assert.Equal(HttpStatusCode.BadRequest, beside.StatusCode); // taken and read (then refused for what it holds), not 503
            // Stalled below MinRequestBodyBytesPerSecond past the 5 s grace: cut by the server, and what it held given back.
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                while (budget.InFlight != 0) await Task.Delay(5, wait.Token);
            release.SetResult();
            int? status = null;
            try
            {
                status = (int)(await slow.WaitAsync(TimeSpan.FromSeconds(30))).StatusCode;
            }
            catch (HttpRequestException)
            {
                // the server closed the connection under the client's late bytes
            }
            Assert.True(status is null or 408, $"HTTP {status}: the stalled upload was not cut for its rate");
            await app.StopAsync();
        }
    }

    [Fact]
    public void ABudgetBelowTheBodyLimitIsRefusedNamingTheOption()
    {
        var options = new ServerFixture().Options() with { MaxBodyBytes = 1024 * 1024, MaxRequestBytesInFlight = 1024 * 1024 - 1 };
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => LatentEbmServer.Build(options));
        Assert.Equal("Server:MaxRequestBytesInFlight (--max-request-bytes-in-flight) must be at least Server:MaxBodyBytes (--max-body-bytes), 1048576, "
            + "or a largest body could never be taken; got 1048575", Assert.Single(e.Failures));
    }

    /// <summary>A JSON body: <c>{"images":</c>, <paramref name="padding"/>, never closed (so invalid once read).</summary>
    private static StringContent Json(string padding) => new("{\"images\":" + padding, System.Text.Encoding.UTF8, "application/json");

    /// <summary><paramref name="length"/> bytes: <c>{"images":</c> and spaces, never closed (so invalid once read whole).</summary>
    private static byte[] UnclosedJson(long length)
    {
        var body = new byte[length];
        Array.Fill(body, (byte)' ');
        "{\"images\":"u8.CopyTo(body);
        return body;
    }

    /// <summary>A JSON body of <paramref name="length"/> bytes sent chunked (no Content-Length).</summary>
    private sealed class ChunkedBody : HttpContent
    {
        private readonly int length;

        public ChunkedBody(int length)
        {
            this.length = length;
            Headers.ContentType = new("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(UnclosedJson(length));
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = 0;
            return false;
        }
    }

    /// <summary>A body of <paramref name="length"/> bytes (its Content-Length) whose client holds back its last <c>heldBack</c> bytes until <paramref name="release"/>.</summary>
    private sealed class HeldBody : HttpContent
    {
        private readonly long length;
        private readonly Task release;
        private readonly int heldBack;

        public HeldBody(long length, Task release, int heldBack = 16)
        {
            this.length = length;
            this.release = release;
            this.heldBack = heldBack;
            Headers.ContentType = new("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // All but the last heldBack bytes at once (the service reads, so holds, them), the rest on release.
            byte[] body = UnclosedJson(length);
            await stream.WriteAsync(body.AsMemory(0, (int)length - heldBack));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(body.AsMemory((int)length - heldBack));
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }

        protected override Task<Stream> CreateContentReadStreamAsync() => throw new NotSupportedException();
    }
}
