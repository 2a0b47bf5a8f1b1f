using System.Runtime.InteropServices;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Netlink;

/// <summary>The kernel answered an audit request with NLMSG_ERROR and a negative errno.</summary>
public sealed class AuditKernelException : Exception
{
    public AuditKernelException(ushort requestType, int errno, string? detail = null)
        : base(Format(requestType, errno, detail))
    {
        RequestType = requestType;
        Errno = Math.Abs(errno);
    }

    /// <summary>The request that failed (AUDIT_ADD_RULE, ...).</summary>
    public ushort RequestType { get; }

    public string RequestName => AuditMessageType.Name(RequestType);

    /// <summary>Positive errno number (2 for ENOENT).</summary>
    public int Errno { get; }

    /// <summary>Symbolic errno name ("ENOENT"), or "errno N" when unknown.</summary>
    public string ErrnoName => Kernel.Errno.Name(Errno) ?? $"errno {Errno}";

    private static string Format(ushort requestType, int errno, string? detail)
    {
        int n = Math.Abs(errno);
        string name = Kernel.Errno.Name(n) ?? $"errno {n}";
        string text = $"{AuditMessageType.Name(requestType)} failed: {name} ({Marshal.GetPInvokeErrorMessage(n)})";
        return detail is null ? text : $"{text}: {detail}";
    }
}

/// <summary>The kernel did not answer an audit request in time.</summary>
public sealed class AuditTimeoutException : TimeoutException
{
    public AuditTimeoutException(ushort requestType, int timeoutMs)
        : base($"{AuditMessageType.Name(requestType)}: no complete answer from the kernel within {timeoutMs} ms")
    {
        RequestType = requestType;
    }

    public ushort RequestType { get; }
}
