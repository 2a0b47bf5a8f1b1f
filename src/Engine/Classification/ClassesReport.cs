namespace FsAudit.Engine.Classification;

/// <summary>
/// The text of <c>fsaudit classes</c>: every event name with its origin, syscalls, the classes containing it and
/// a description; then event names that classes use but the syscall table does not produce (record types,
/// SYSCALL_ fallbacks); then each class with its expanded members.
/// </summary>
public static class ClassesReport
{
    public static void Write(TextWriter output, ClassCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(catalog);

        var rows = EventNames.All.Select(i => new[]
        {
            i.Name,
            Origin(i.Origin),
            i.Syscalls.Count == 0 ? "-" : string.Join(',', i.Syscalls),
            Join(catalog.ClassesOf(i.Name)),
            i.Description,
        }).ToList();
        WriteTable(output, ["EVENT", "ORIGIN", "SYSCALLS", "CLASSES", "DESCRIPTION"], rows);

        var others = catalog.ClassifiedEventNames.Where(n => !EventNames.IsCatalogName(n)).ToList();
        if (others.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Other event names in classes (record types and syscall fallbacks):");
            WriteTable(output, ["EVENT", "CLASSES"], others.Select(n => new[] { n, Join(catalog.ClassesOf(n)) }).ToList());
        }

        output.WriteLine();
        output.WriteLine("Events that are not syscalls are named by their record type (USER_LOGIN, CONFIG_CHANGE, ...);");
        output.WriteLine($"a syscall the table does not map is named {EventNames.SyscallFallbackPrefix}<syscall>.");

        output.WriteLine();
        if (catalog.ClassNames.Count == 0)
        {
            output.WriteLine("No classes are defined (fsaudit.classes is empty).");
            return;
        }
        output.WriteLine("Classes:");
        WriteTable(output, ["CLASS", "EVENTS"],
            catalog.ClassNames.Select(c => new[] { c, Join(catalog.Expand(c)) }).ToList());
    }

    private static string Origin(EventNameOrigin origin) => origin switch
    {
        EventNameOrigin.Aix => "AIX",
        EventNameOrigin.AixAdapted => "AIX*",
        _ => "fsaudit",
    };

    private static string Join(IReadOnlyList<string> names) => names.Count == 0 ? "-" : string.Join(',', names);

    private static void WriteTable(TextWriter output, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        WriteRow(output, header, widths);
        foreach (var row in rows) WriteRow(output, row, widths);
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        for (var c = 0; c < cells.Length; c++)
        {
            // The last column is not padded: no trailing blanks.
            output.Write(c == cells.Length - 1 ? cells[c] : cells[c].PadRight(widths[c] + 2));
        }
        output.WriteLine();
    }
}
