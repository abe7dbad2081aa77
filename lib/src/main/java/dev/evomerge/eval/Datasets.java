package dev.evomerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.io.Storage;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads evaluation sets from any Hadoop path. Three formats, told apart by content:
 * <ul>
 *   <li>MGSM TSV ({@code .tsv}): {@code question<TAB>answer_number}, no header, any language;</li>
 *   <li>GSM8K JSONL: {@code {"question", "answer"}} where the answer ends in {@code #### N};</li>
 *   <li>question/answer JSONL: {@code {"question", "answer"}} with a numeric answer, or
 *       {@code "answer_number"} beside a textual one (the paper's Japanese GSM8K set, which users bring);</li>
 *   <li>VQA sets, Parquet ({@code .parquet}: JA-VG-VQA-500 as published) or JSONL rows with an
 *       image ({@link VqaSets}).</li>
 * </ul>
 */
public final class Datasets {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Datasets() {
    }

    public static List<EvalItem> read(Storage storage, String location) {
        if (location.endsWith(".parquet")) {
            return VqaSets.parquet(storage, location);
        }
        return read(storage, location, readLines(storage, location));
    }

    /** A set's items, and each item's own string field ({@link #readWithField}). */
    public record ItemsWithField(List<EvalItem> items, List<String> values) {
    }

    /**
     * The items {@link #read} gives, and each one's own string field {@code name}, the file read
     * once: a JSONL line's value, or null where the line has none; no values for the other formats
     * (they have no per-item fields).
     */
    public static ItemsWithField readWithField(Storage storage, String location, String name) {
        if (location.endsWith(".parquet")) {
            return new ItemsWithField(VqaSets.parquet(storage, location), List.of());
        }
        List<String> lines = readLines(storage, location);
        return new ItemsWithField(read(storage, location, lines), location.endsWith(".tsv") ? List.of() : ownField(location, lines, name));
    }

    private static List<EvalItem> read(Storage storage, String location, List<String> lines) {
        if (location.endsWith(".tsv")) {
            return mgsmTsv(location, lines);
        }
        String first = lines.stream().filter(l -> !l.isBlank()).findFirst().orElse("{}");
        try {
            if (VqaSets.isVqaRow(JSON.readTree(first))) {
                return requireSome(location, VqaSets.jsonl(storage, location, lines));
            }
        } catch (IOException e) {
            // not JSON: the JSONL reader names the line
        }
        return jsonl(location, lines);
    }

    /** MGSM exemplar JSONL: each line's "q" and "a". */
    public static List<String[]> exemplars(Storage storage, String location) {
        List<String> lines = readLines(storage, location);
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n = parseLine(location, i + 1, lines.get(i));
            if (!n.path("q").isTextual() || !n.path("a").isTextual()) {
                throw new DatasetException(location, i + 1, "an exemplar needs string fields \"q\" and \"a\"");
            }
            out.add(new String[] {n.get("q").asText(), n.get("a").asText()});
        }
        return out;
    }

    private static List<String> ownField(String location, List<String> lines, String name) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode v = parseLine(location, i + 1, lines.get(i)).get(name);
            if (v != null && !v.isNull() && !v.isTextual()) {
                throw new DatasetException(location, i + 1, "field \"" + name + "\" is not a string");
            }
            out.add(v == null || v.isNull() ? null : v.asText());
        }
        return out;
    }

    static List<String> readLines(Storage storage, String location) {
        return storage.readString(location).lines().toList();
    }

    static List<EvalItem> mgsmTsv(String file, List<String> lines) {
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] cols = line.split("\t", -1);
            if (cols.length != 2) {
                throw new DatasetException(file, i + 1, "expected 2 tab-separated columns (question, answer_number), found " + cols.length);
            }
            items.add(new EvalItem(items.size(), cols[0], cols[1].trim(), number(file, i + 1, cols[1])));
        }
        return requireSome(file, items);
    }

    static List<EvalItem> jsonl(String file, List<String> lines) {
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = parseLine(file, i + 1, line);
            if (!node.path("question").isTextual()) {
                throw new DatasetException(file, i + 1, "missing string field \"question\"");
            }
            JsonNode answer = node.get("answer");
            if (answer == null || !(answer.isTextual() || answer.isNumber())) {
                throw new DatasetException(file, i + 1, "missing field \"answer\"");
            }
            String text = answer.asText();
            BigDecimal n;
            if (node.has("answer_number")) {
                n = number(file, i + 1, node.get("answer_number").asText());
            } else if (text.contains("####")) {
                n = number(file, i + 1, text.substring(text.lastIndexOf("####") + 4));
                text = text.substring(0, text.lastIndexOf("####")).strip() + " The answer is " + n.toPlainString() + ".";
            } else {
                n = number(file, i + 1, text);
            }
            items.add(new EvalItem(items.size(), node.get("question").asText(), text, n));
        }
        return requireSome(file, items);
    }

    private static JsonNode parseLine(String file, int line, String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new DatasetException(file, line, "not valid JSON");
        }
    }

    private static BigDecimal number(String file, int line, String text) {
        try {
            return new BigDecimal(text.trim().replace(",", ""));
        } catch (NumberFormatException e) {
            throw new DatasetException(file, line, "answer '" + text.trim() + "' is not a number");
        }
    }

    private static List<EvalItem> requireSome(String file, List<EvalItem> items) {
        if (items.isEmpty()) {
            throw new DatasetException(file, "no items");
        }
        return items;
    }
}
