using System.Text.RegularExpressions;
using LatentEbm.Server.Benchmarks;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

/// <summary>The committed nginx configuration (deploy/nginx/latent-ebm.conf) and how <c>bench replicas</c> renders it.</summary>
public sealed class NginxConfigTests
{
    private static readonly string Template = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", "nginx", "latent-ebm.conf"));

    [Fact]
    public void Rendering_lists_one_upstream_server_per_port_with_the_templates_parameters_and_changes_nothing_else()
    {
        string rendered = NginxProxy.Render(Template, [9001, 9002, 9003], 9000);

        var servers = Regex.Matches(rendered, @"^\s*server\s+(\S+)([^;\n]*);", RegexOptions.Multiline).Select(m => (m.Groups[1].Value, m.Groups[2].Value.Trim())).ToList();
        Assert.Equal([("127.0.0.1:9001", "max_fails=1 fail_timeout=5s"), ("127.0.0.1:9002", "max_fails=1 fail_timeout=5s"), ("127.0.0.1:9003", "max_fails=1 fail_timeout=5s")], servers);
        Assert.Equal(["listen 127.0.0.1:9000;"], rendered.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("listen", StringComparison.Ordinal)));
        static IEnumerable<string> Others(string text) => text.Split('\n').Where(l => !Regex.IsMatch(l, @"^\s*(server\s+127|listen\s)"));
        Assert.Equal(Others(Template), Others(rendered));
    }

    [Fact]
    public void A_template_without_a_loopback_upstream_server_is_refused()
    {
        string broken = Regex.Replace(Template, @"server\s+127\.0\.0\.1:", "server 10.0.0.1:");
        var e = Assert.Throws<InvalidOperationException>(() => NginxProxy.Render(broken, [9001], 9000));
        Assert.Contains("upstream", e.Message);
    }

    [Fact]
    public void The_proxys_body_limit_is_the_services()
    {
        var limit = Regex.Match(Template, @"^\s*client_max_body_size\s+(\d+)m;", RegexOptions.Multiline);
        Assert.True(limit.Success, "client_max_body_size in megabytes");
        Assert.Equal(new ServerOptions().MaxBodyBytes, long.Parse(limit.Groups[1].Value) * 1024 * 1024);
    }

    [Fact]
    public void Retries_cover_failed_replicas_and_posts_but_not_429()
    {
        var retry = Regex.Match(Template, @"^\s*proxy_next_upstream\s+([^;]+);", RegexOptions.Multiline).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["error", "timeout", "http_502", "http_503", "http_504", "non_idempotent"], retry);
    }
}
