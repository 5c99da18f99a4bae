using System.Text;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// The echo scenario's message. <c>x</c>: <c>size</c> bytes of <c>x</c> (what a proxy that does not look inside sees;
/// the default). <c>json</c>: the same size as a JSON object, <c>{"type":"echo","seq":0,"pad":"xxx…"}</c>, for the
/// script valves of run.sh's overhead phase that parse and rewrite it.
/// </summary>
internal static class EchoPayload
{
    public const string X = "x";
    public const string Json = "json";

    private const string JsonHead = "{\"type\":\"echo\",\"seq\":0,\"pad\":\"";
    private const string JsonTail = "\"}";

    public static byte[] Create(string kind, int size)
    {
        switch (kind)
        {
            case X:
                var bytes = new byte[size];
                bytes.AsSpan().Fill((byte)'x');
                return bytes;
            case Json:
                var pad = size - JsonHead.Length - JsonTail.Length;
                return pad >= 0
                    ? Encoding.ASCII.GetBytes(JsonHead + new string('x', pad) + JsonTail)
                    : throw new ArgumentException($"--payload json needs --size of at least {JsonHead.Length + JsonTail.Length} bytes");
            default:
                throw new ArgumentException($"--payload '{kind}': expected {X} or {Json}");
        }
    }
}
