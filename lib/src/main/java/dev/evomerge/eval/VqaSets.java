package dev.evomerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.io.Storage;
import dev.evomerge.vision.ImagePreprocessor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * VQA sets: a question, a reference answer and an image per item, from
 * <ul>
 *   <li>Parquet: JA-VG-VQA-500 as published ({@code qas}, a list of {question, answer}, of which
 *       the paper's evaluation takes the first; {@code image}, Hugging Face's Image struct of
 *       {@code bytes} and {@code path}), or flat {@code question}, {@code answer}, {@code image}
 *       columns (JA-VLM-Bench-In-the-Wild);</li>
 *   <li>JSONL: {@code {"question", "answer", "image"}} with the image's path (relative to the
 *       file's directory, or any location), or {@code "image_bytes"} in base64.</li>
 * </ul>
 * Every image is decoded once on reading, so a corrupt one is an error naming its row, before
 * any model runs.
 */
final class VqaSets {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VqaSets() {
    }

    /** Whether a JSONL row is a VQA item's (it has an image). */
    static boolean isVqaRow(JsonNode row) {
        return row.has("image") || row.has("image_bytes");
    }

    static List<EvalItem> jsonl(Storage storage, String file, List<String> lines) {
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                throw new DatasetException(file, i + 1, "not valid JSON");
            }
            String question = text(file, i + 1, row, "question");
            String answer = text(file, i + 1, row, "answer");
            byte[] image;
            if (row.path("image_bytes").isTextual()) {
                try {
                    image = Base64.getDecoder().decode(row.get("image_bytes").asText());
                } catch (IllegalArgumentException e) {
                    throw new DatasetException(file, i + 1, "\"image_bytes\" is not base64: " + e.getMessage());
                }
            } else {
                image = readImage(storage, file, i + 1, text(file, i + 1, row, "image"));
            }
            items.add(item(file, i + 1, items.size(), question, answer, image));
        }
        return items;
    }

    static List<EvalItem> parquet(Storage storage, String file) {
        MessageType schema;
        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file),
                storage.conf()))) {
            schema = footer.getFooter().getFileMetaData().getSchema();
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read as Parquet: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new DatasetException(file, "not a Parquet file: " + e.getMessage());
        }
        boolean nested = schema.containsField("qas");
        List<String> columns = nested ? List.of("qas", "image") : List.of("question", "answer", "image");
        for (String c : columns) {
            if (!schema.containsField(c)) {
                throw new DatasetException(file, "no column '" + c + "' (a VQA set has qas and image as JA-VG-VQA-500, "
                        + "or question, answer and image)");
            }
        }
        // Read only what an item needs: JA-VG-VQA-500's list<null> object columns are left unread.
        List<Type> kept = new ArrayList<>();
        for (String c : columns) {
            kept.add(c.equals("qas") ? onlyQuestionAndAnswer(schema.getType("qas")) : schema.getType(c));
        }
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration(storage.conf());
        conf.set(ReadSupport.PARQUET_READ_SCHEMA, new MessageType(schema.getName(), kept).toString());
        List<EvalItem> items = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(file))
                .withConf(conf).build()) {
            int row = 0;
            for (Group g = reader.read(); g != null; g = reader.read()) {
                row++;
                String question;
                String answer;
                if (nested) {
                    Group first = firstElement(file, row, g);
                    question = string(file, row, first, "question", "qas[0].question");
                    answer = string(file, row, first, "answer", "qas[0].answer");
                } else {
                    question = string(file, row, g, "question", "question");
                    answer = string(file, row, g, "answer", "answer");
                }
                items.add(item(file, row, items.size(), question, answer, image(storage, file, row, g)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (items.isEmpty()) {
            throw new DatasetException(file, "no items");
        }
        return items;
    }

    /** The qas column with only its elements' question and answer. */
    private static Type onlyQuestionAndAnswer(Type qas) {
        GroupType list = qas.asGroupType();
        GroupType repeated = list.getType(0).asGroupType();
        GroupType element = repeated.getFieldCount() == 1 && !repeated.getType(0).isPrimitive()
                ? repeated.getType(0).asGroupType() : repeated;
        List<Type> fields = new ArrayList<>();
        for (String f : List.of("answer", "question")) {
            if (element.containsField(f)) {
                fields.add(element.getType(f));
            }
        }
        GroupType trimmed = element.withNewFields(fields);
        return list.withNewFields(element == repeated ? trimmed : repeated.withNewFields(trimmed));
    }

    /** qas[0]: the first element of the list (three-level list, as pyarrow writes it, or two-level). */
    private static Group firstElement(String file, int row, Group g) {
        if (g.getFieldRepetitionCount("qas") == 0) {
            throw new DatasetException(file, row, "qas is empty: the row has no question");
        }
        Group list = g.getGroup("qas", 0);
        String repeated = list.getType().getType(0).getName();
        if (list.getFieldRepetitionCount(repeated) == 0) {
            throw new DatasetException(file, row, "qas is empty: the row has no question");
        }
        Group first = list.getGroup(repeated, 0);
        GroupType t = first.getType();
        return t.getFieldCount() == 1 && !t.getType(0).isPrimitive() ? first.getGroup(0, 0) : first;
    }

    /** The image column: Hugging Face's Image struct (its bytes, else its path) or plain bytes. */
    private static byte[] image(Storage storage, String file, int row, Group g) {
        if (g.getFieldRepetitionCount("image") == 0) {
            throw new DatasetException(file, row, "image is null");
        }
        Type t = g.getType().getType("image");
        if (t.isPrimitive()) {
            return g.getBinary("image", 0).getBytes();
        }
        Group image = g.getGroup("image", 0);
        if (image.getType().containsField("bytes") && image.getFieldRepetitionCount("bytes") > 0) {
            return image.getBinary("bytes", 0).getBytes();
        }
        if (image.getType().containsField("path") && image.getFieldRepetitionCount("path") > 0) {
            return readImage(storage, file, row, image.getString("path", 0));
        }
        throw new DatasetException(file, row, "image has neither bytes nor path");
    }

    private static String string(String file, int row, Group g, String field, String name) {
        if (!g.getType().containsField(field) || g.getFieldRepetitionCount(field) == 0) {
            throw new DatasetException(file, row, name + " is missing");
        }
        return g.getString(field, 0);
    }

    private static String text(String file, int line, JsonNode row, String field) {
        if (!row.path(field).isTextual()) {
            throw new DatasetException(file, line, "missing string field \"" + field + "\"");
        }
        return row.get(field).asText();
    }

    /** An image path as the set names it: relative to the set's own directory unless absolute or a URI. */
    private static byte[] readImage(Storage storage, String file, int row, String path) {
        String location = path.startsWith("/") || dev.evomerge.io.Locations.hasScheme(path) ? path
                : file.substring(0, file.lastIndexOf('/') + 1) + path;
        try {
            return storage.readBytes(location);
        } catch (UncheckedIOException e) {
            throw new DatasetException(file, row, "image " + path + ": cannot read " + location);
        }
    }

    /** The item, its image decoded once to prove it readable. */
    private static EvalItem item(String file, int row, int index, String question, String answer, byte[] image) {
        try {
            ImagePreprocessor.decode(image);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(file, row, e.getMessage());
        }
        return new EvalItem(index, question, answer, null, image);
    }
}
