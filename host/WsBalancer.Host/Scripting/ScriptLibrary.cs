using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Jint;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// The script valves: every <c>*.js</c> file of the scripts folder (not of its subfolders, so <c>scripts/examples/</c>
/// stays inactive), each parsed once per version and published as a <see cref="ScriptSlot"/>. Sessions read
/// <see cref="Slots"/> without locks; the watcher and the admin API change it under one gate.
/// </summary>
internal sealed class ScriptLibrary
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ScriptSlot> _slots = new(StringComparer.Ordinal);
    private readonly ScriptSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ScriptSlot[] _published = [];
    private readonly ConcurrentDictionary<ScriptSession, byte> _withEngines = new();

    public ScriptLibrary(ScriptSettings settings, TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    public ScriptSettings Settings => _settings;

    /// <summary>The sessions holding at least one engine: what the idle-engine sweep looks at.</summary>
    public IEnumerable<ScriptSession> SessionsWithEngines
    {
        get
        {
            // The dictionary's own enumerator: no snapshot of every key, and safe while sessions come and go.
            foreach (var (session, _) in _withEngines)
            {
                yield return session;
            }
        }
    }

    public void HoldsEngines(ScriptSession session) => _withEngines.TryAdd(session, 0);

    public void HoldsNoEngines(ScriptSession session) => _withEngines.TryRemove(session, out _);

    /// <summary>Every script name with a version, in the order scripts run (ordinal by file name).</summary>
    public IReadOnlyList<ScriptSlot> Slots => Volatile.Read(ref _published);

    /// <summary>Loads what is in the folder now, without waiting for it to be quiet, and warms the interpreter up.</summary>
    public void Start()
    {
        _gate.Wait();
        try
        {
            Scan(initial: true);
            WarmUp();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Scan(initial: false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Counts a limit break of a script; the one that makes <see cref="ScriptSettings.QuarantineAfter"/> breaks within a
    /// minute switches it off for new calls until it is edited or enabled.
    /// </summary>
    public void LimitBroken(ScriptSlot slot)
    {
        var now = _time.GetTimestamp();
        int breaks;
        lock (slot.RecentBreaks)
        {
            slot.RecentBreaks.Enqueue(now);
            while (slot.RecentBreaks.Count > 0 && _time.GetElapsedTime(slot.RecentBreaks.Peek(), now) > TimeSpan.FromMinutes(1))
            {
                slot.RecentBreaks.Dequeue();
            }

            breaks = slot.RecentBreaks.Count;
            if (breaks <= _settings.QuarantineAfter || slot.Quarantined)
            {
                return;
            }

            slot.RecentBreaks.Clear();
            slot.QuarantineReason = $"{breaks} limit breaks within a minute (more than {_settings.QuarantineAfter})";
            slot.Quarantined = true;
        }

        ScriptingLog.Quarantined(_logger, slot.Name, breaks);
    }

    public async Task<IReadOnlyList<ScriptSlot>> ListAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return [.. _slots.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// True when a script present now could run for a session on <paramref name="path"/>: one whose <c>@match</c> takes
    /// the path, even if disabled or quarantined (it can be enabled while the session lives), or one that does not
    /// compile (its fixed version might match).
    /// </summary>
    public bool MayApplyTo(string path)
    {
        foreach (var slot in Volatile.Read(ref _published))
        {
            if (slot.Current is not { } file || file.Header.Matches(path))
            {
                return true;
            }
        }

        return false;
    }

    public ScriptSlot? Find(string name) => Array.Find(Volatile.Read(ref _published), s => s.Name == name) ?? FindAny(name);

    /// <summary>Lets the script run again: lifts a quarantine and an administrator's disable.</summary>
    public async Task<AdminResult?> EnableAsync(string name, CancellationToken cancellationToken) => await UnderGateAsync(name, slot =>
    {
        if (!slot.Disabled && !slot.Quarantined)
        {
            return AdminResult.NoActionRequired;
        }

        slot.Disabled = false;
        lock (slot.RecentBreaks)
        {
            slot.RecentBreaks.Clear();
            slot.Quarantined = false;
            slot.QuarantineReason = null;
        }

        return AdminResult.Success;
    }, cancellationToken);

    public async Task<AdminResult?> DisableAsync(string name, CancellationToken cancellationToken) => await UnderGateAsync(name, slot =>
    {
        if (slot.Disabled)
        {
            return AdminResult.NoActionRequired;
        }

        slot.Disabled = true;
        return AdminResult.Success;
    }, cancellationToken);

    private async Task<AdminResult?> UnderGateAsync(string name, Func<ScriptSlot, AdminResult> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _slots.TryGetValue(name, out var slot) ? action(slot) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ScriptSlot? FindAny(string name)
    {
        _gate.Wait();
        try
        {
            return _slots.GetValueOrDefault(name);
        }
        finally
        {
            _gate.Release();
        }
    }

    // The first call into a fresh process also compiles the interpreter's own code paths, which on a busy machine can
    // take longer than a call's whole time limit: run the common ones once at start, outside any session.
    private const string WarmUpSource = """
        function beforeTransmit(m, s) {
          const data = new Uint8Array(m.size); for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
          const o = JSON.parse(JSON.stringify({ a: [1, 'x', true, null], t: m.text }));
          s.state.n = (s.state.n || 0) + 1;
          return [m.text.toUpperCase().replace(/[aeiou]+/g, '*').split(' ').join('-'), o.a.length.toString(), data];
        }
        """;

    private void WarmUp()
    {
        var program = ScriptEngineFactory.PrepareScript(WarmUpSource, "warm-up.js", _settings.Limits);
        var file = new ScriptFile("warm-up.js", WarmUpSource, string.Empty, 0, _time.GetUtcNow(), new ScriptHeader([], false, ScriptErrorAction.Pass, _settings.Limits with { Timeout = TimeSpan.FromSeconds(10) }), program, ScriptFile.FindHooks(program));
        var info = new ScriptSessionInfo("warm-up", "/", "/", string.Empty, "warm-up", null, [], () => string.Empty, () => 0);
        var (runtime, _) = ScriptRuntime.Create(file, info, null, new ScriptConsole(file.Name, _logger, _time));
        runtime?.CallMessageHook("beforeTransmit", WsMessage.Text("warm up the interpreter"), info);
        runtime?.CallMessageHook("beforeTransmit", WsMessage.Binary(new byte[64]), info);
        runtime?.Dispose();
    }

    private void Scan(bool initial)
    {
        var files = FindFiles();
        var changed = false;
        foreach (var (name, path) in files)
        {
            if (!_slots.TryGetValue(name, out var slot))
            {
                slot = new ScriptSlot(name, new ScriptConsole(name, _logger, _time));
                _slots[name] = slot;
            }

            var fingerprint = Fingerprint(path);
            if (fingerprint is null)
            {
                continue;
            }

            var now = _time.GetTimestamp();
            if (fingerprint != slot.SeenFingerprint)
            {
                slot.SeenFingerprint = fingerprint;
                slot.SeenSince = now;
                if (!initial)
                {
                    continue;
                }
            }

            if (fingerprint == slot.LoadedFingerprint || (!initial && _time.GetElapsedTime(slot.SeenSince, now) < _settings.QuietPeriod))
            {
                continue;
            }

            var hadVersion = slot.Current is not null;
            Load(slot, path, fingerprint);
            changed |= !hadVersion && slot.Current is not null;
        }

        foreach (var slot in _slots.Values.Where(s => !files.ContainsKey(s.Name)).ToList())
        {
            _slots.Remove(slot.Name);
            slot.Current = null; // sessions drop its engine on their next call
            if (slot.LoadedFingerprint is not null)
            {
                ScriptingLog.Removed(_logger, slot.Name);
            }

            changed = true;
        }

        if (changed || initial)
        {
            Volatile.Write(ref _published, [.. _slots.Values.Where(s => s.Current is not null).OrderBy(s => s.Name, StringComparer.Ordinal)]);
        }
    }

    private void Load(ScriptSlot slot, string path, string fingerprint)
    {
        slot.LoadedFingerprint = fingerprint; // the same content is not tried again; an edit is
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > _settings.MaxScriptBytes)
            {
                Fail(slot, $"{bytes.Length} bytes, more than the limit of {_settings.MaxScriptBytes}");
                return;
            }

            var source = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            var header = ScriptHeader.Parse(source, _settings.Limits);
            var program = ScriptEngineFactory.PrepareScript(source, slot.Name, header.Limits);
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
            var file = new ScriptFile(slot.Name, source, hash, ++slot.Versions, _time.GetUtcNow(), header, program, ScriptFile.FindHooks(program));
            slot.Current = file;
            slot.Error = null;
            slot.ErrorAt = null;
            lock (slot.RecentBreaks)
            {
                // An edited script gets a fresh start: quarantine is for the content that kept breaking its limits.
                slot.RecentBreaks.Clear();
                slot.Quarantined = false;
                slot.QuarantineReason = null;
            }

            ScriptingLog.Loaded(_logger, slot.Name, file.Version, hash);
        }
        catch (ScriptHeaderException ex)
        {
            Fail(slot, $"{slot.Name}:{ex.Line.ToString(CultureInfo.InvariantCulture)}: {ex.Message}");
        }
        catch (ScriptPreparationException ex)
        {
            Fail(slot, SyntaxError(slot.Name, ex));
        }
        catch (DecoderFallbackException)
        {
            Fail(slot, "the file is not UTF-8 text");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            slot.LoadedFingerprint = null; // a read that failed is tried again on the next scan
        }
    }

    private void Fail(ScriptSlot slot, string reason)
    {
        slot.Error = reason;
        slot.ErrorAt = _time.GetUtcNow();
        ScriptingLog.LoadFailed(_logger, slot.Name, reason);
    }

    private static string SyntaxError(string name, ScriptPreparationException ex) =>
        ex.InnerException is Acornima.ParseErrorException parse
            ? $"{name}:{parse.LineNumber.ToString(CultureInfo.InvariantCulture)}:{parse.Column.ToString(CultureInfo.InvariantCulture)}: {parse.Description}"
            : $"{name}: {ex.Message}";

    private Dictionary<string, string> FindFiles()
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(_settings.Directory))
        {
            return found;
        }

        try
        {
            foreach (var path in Directory.GetFiles(_settings.Directory, "*.js", SearchOption.TopDirectoryOnly))
            {
                var name = Path.GetFileName(path);
                if (!name.StartsWith('.'))
                {
                    found[name] = path;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ScriptingLog.ScanFailed(_logger, _settings.Directory, ex.Message);
        }

        return found;
    }

    private static string? Fingerprint(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? $"{info.Length}|{info.LastWriteTimeUtc.Ticks}" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
