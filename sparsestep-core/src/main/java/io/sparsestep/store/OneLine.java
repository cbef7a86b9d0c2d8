package io.sparsestep.store;

/**
 * Text from an untrusted file made fit for a one-line error message: control characters
 * are escaped (a tensor named "a\nb" must not split the line) and long text is cut, so a
 * 10 MB name or a deeply nested value cannot flood the terminal.
 */
final class OneLine {
    /** Enough to recognise a name or a value; the file itself holds the rest. */
    public static final int MAX_CHARS = 80;

    private OneLine() {}

    /** {@code text} with line breaks and other control characters escaped, whole. */
    public static String of(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> appendEscaped(out, c));
        return out.toString();
    }

    /** {@code text} in single quotes, escaped and cut to about {@link #MAX_CHARS}. */
    public static String quoted(String text) {
        return "'" + excerpt(text) + "'";
    }

    /** {@code text} escaped and cut to about {@link #MAX_CHARS}, marking the cut. */
    public static String excerpt(String text) {
        StringBuilder out = new StringBuilder();
        int[] codePoints = text.codePoints().limit(MAX_CHARS + 1).toArray();
        for (int i = 0; i < Math.min(codePoints.length, MAX_CHARS); i++) {
            appendEscaped(out, codePoints[i]);
        }
        if (codePoints.length > MAX_CHARS) {
            out.append("...");
        }
        return out.toString();
    }

    private static void appendEscaped(StringBuilder out, int c) {
        switch (c) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            default -> {
                if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                    out.append(String.format("\\u%04x", c));
                } else {
                    out.appendCodePoint(c);
                }
            }
        }
    }
}
