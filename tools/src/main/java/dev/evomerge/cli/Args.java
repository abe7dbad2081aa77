package dev.evomerge.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command line options; unknown or missing ones are one-line errors. */
final class Args {
    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    Args(String command, String[] args, Set<String> known) {
        this.command = command;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !known.contains(a.substring(2))) {
                throw new IllegalArgumentException(command + ": unknown option '" + a + "' (options: --"
                        + String.join(", --", known) + ")");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(command + ": option " + a + " needs a value");
            }
            values.computeIfAbsent(a.substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
    }

    String required(String name) {
        List<String> v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException(command + ": missing --" + name);
        }
        return v.get(v.size() - 1);
    }

    String optional(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    int intValue(String name, int fallback) {
        String v = optional(name, null);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }
}
