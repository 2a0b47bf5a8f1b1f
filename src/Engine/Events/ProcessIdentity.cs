namespace FsAudit.Engine.Events;

/// <summary>
/// The process identity of a SYSCALL record (its text from <c>ppid=</c> to the end: ppid, pid, the ids, tty, ses, comm,
/// exe, subj, key). The builder keeps it in <see cref="RecentTexts{T}"/> by that text: only a tail read onto an event
/// with no identity yet, holding nothing but identity fields, is kept, so copying its values is exactly what reading it
/// again would do. The subscriber line keeps it with the members it serialized (<see cref="SameAs"/>).
/// </summary>
internal readonly record struct ProcessIdentity(int? Pid, int? Ppid, uint? Uid, uint? Gid, uint? Auid, uint? Euid, uint? Suid,
    uint? Fsuid, uint? Egid, uint? Sgid, uint? Fsgid, uint? Ses, string? Tty, string? Comm, string? Exe, string? Subj,
    IReadOnlyList<string> Keys)
{
    public static bool NothingSet(AuditEvent e) =>
        e.Pid is null && e.Ppid is null && e.Uid is null && e.Gid is null && e.Auid is null && e.Euid is null
        && e.Suid is null && e.Fsuid is null && e.Egid is null && e.Sgid is null && e.Fsgid is null && e.Ses is null
        && e.Tty is null && e.Comm is null && e.Exe is null && e.Subj is null && e.Keys.Count == 0;

    public static ProcessIdentity Of(AuditEvent e) => new(e.Pid, e.Ppid, e.Uid, e.Gid, e.Auid, e.Euid, e.Suid, e.Fsuid,
        e.Egid, e.Sgid, e.Fsgid, e.Ses, e.Tty, e.Comm, e.Exe, e.Subj, e.Keys);

    /// <summary>
    /// Whether <paramref name="e"/> has these values, strings and keys compared by reference (interned values: equal
    /// references are equal text; unequal ones only miss).
    /// </summary>
    public bool SameAs(AuditEvent e)
    {
        if (e.Pid != Pid || e.Ppid != Ppid || e.Uid != Uid || e.Gid != Gid || e.Auid != Auid || e.Euid != Euid
            || e.Suid != Suid || e.Fsuid != Fsuid || e.Egid != Egid || e.Sgid != Sgid || e.Fsgid != Fsgid || e.Ses != Ses
            || !ReferenceEquals(e.Tty, Tty) || !ReferenceEquals(e.Comm, Comm) || !ReferenceEquals(e.Exe, Exe)
            || !ReferenceEquals(e.Subj, Subj))
            return false;
        var keys = e.Keys;
        if (keys.Count != Keys.Count) return false;
        for (int i = 0; i < keys.Count; i++)
            if (!ReferenceEquals(keys[i], Keys[i])) return false;
        return true;
    }

    public void CopyTo(AuditEvent e)
    {
        (e.Pid, e.Ppid, e.Uid, e.Gid, e.Auid, e.Euid, e.Suid) = (Pid, Ppid, Uid, Gid, Auid, Euid, Suid);
        (e.Fsuid, e.Egid, e.Sgid, e.Fsgid, e.Ses) = (Fsuid, Egid, Sgid, Fsgid, Ses);
        (e.Tty, e.Comm, e.Exe, e.Subj, e.Keys) = (Tty, Comm, Exe, Subj, Keys);
    }
}
