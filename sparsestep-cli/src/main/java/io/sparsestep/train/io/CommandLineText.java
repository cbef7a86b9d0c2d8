package io.sparsestep.train.io;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A command line as one string that a POSIX shell reads back as the same words, for the
 * records ({@code summary.json}'s {@code command_line}): {@code sparsestep train --out 'my runs/a'}.
 * Words of only safe characters stay as they are, so the usual line reads as typed; any other
 * word is put in single quotes, a quote inside it written {@code '\''}.
 */
public final class CommandLineText {
    /** Characters no POSIX shell treats specially anywhere in a word. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private CommandLineText() {}

    /** {@code program} followed by {@code args}, each quoted where needed, joined by spaces. */
    public static String of(String program, List<String> args) {
        StringBuilder sb = new StringBuilder(quote(program));
        for (String arg : args) sb.append(' ').append(quote(arg));
        return sb.toString();
    }

    static String quote(String word) {
        if (SAFE.matcher(word).matches()) return word;
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
