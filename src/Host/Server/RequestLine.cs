namespace FsAudit.Host.Server;

/// <summary>One request line from a client (without the newline), or why there is none.</summary>
public readonly record struct RequestLine(byte[] Bytes, string? Error);
