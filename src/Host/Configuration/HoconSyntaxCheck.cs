namespace FsAudit.Host.Configuration;

/// <summary>
/// Catches the structural mistakes Akka's HOCON parser lets through silently: unbalanced
/// braces/brackets and unterminated strings. Reports the line.
/// </summary>
internal static class HoconSyntaxCheck
{
    public static void Check(string text, string origin)
    {
        var stack = new Stack<(char Open, int Line)>();
        int line = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\n': line++; break;
                case '#':
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                case '"':
                    bool triple = i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"';
                    int start = line;
                    if (triple)
                    {
                        int end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                        if (end < 0) throw new ConfigException($"{origin}:{start}: unterminated \"\"\" string");
                        line += text.AsSpan(i, end - i).Count('\n');
                        i = end + 2;
                        break;
                    }
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\') i++;
                        else if (text[i] == '\n') throw new ConfigException($"{origin}:{start}: unterminated string");
                    }
                    if (i >= text.Length) throw new ConfigException($"{origin}:{start}: unterminated string");
                    break;
                case '{' or '[': stack.Push((c, line)); break;
                case '}' or ']':
                    char want = c == '}' ? '{' : '[';
                    if (stack.Count == 0) throw new ConfigException($"{origin}:{line}: unexpected '{c}'");
                    var (open, openLine) = stack.Pop();
                    if (open != want)
                        throw new ConfigException($"{origin}:{line}: '{c}' closes '{open}' opened on line {openLine}");
                    break;
            }
        }
        if (stack.Count > 0)
        {
            var (open, openLine) = stack.Peek();
            throw new ConfigException($"{origin}:{openLine}: '{open}' is never closed");
        }
    }
}
