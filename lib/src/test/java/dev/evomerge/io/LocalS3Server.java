package dev.evomerge.io;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-protocol server on 127.0.0.1 for tests: moto's standalone server (installed on the
 * build machine image), started on a free port and stopped with the test.
 */
public final class LocalS3Server implements AutoCloseable {
    private final Process process;
    private final int port;

    private LocalS3Server(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static LocalS3Server start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        LocalS3Server server = new LocalS3Server(p, port);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create(server.endpoint() + "/")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return server;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    server.close();
                    throw new IOException("moto S3 server did not start on port " + port
                            + " (is moto installed? python3 -m moto.server)", notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public void createBucket(String bucket) throws IOException, InterruptedException {
        HttpResponse<Void> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(endpoint() + "/" + bucket)).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 200) {
            throw new IOException("cannot create bucket " + bucket + ": HTTP " + r.statusCode());
        }
    }

    /** Hadoop settings that point s3a:// at this server, path-style, plain HTTP. */
    public Configuration hadoopConf() {
        Configuration conf = new Configuration();
        conf.set("fs.s3a.endpoint", endpoint());
        conf.set("fs.s3a.endpoint.region", "us-east-1");
        conf.setBoolean("fs.s3a.path.style.access", true);
        conf.setBoolean("fs.s3a.connection.ssl.enabled", false);
        conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        conf.set("fs.s3a.access.key", "testing");
        conf.set("fs.s3a.secret.key", "testing");
        conf.setBoolean("fs.s3a.impl.disable.cache", true);
        conf.setInt("fs.s3a.attempts.maximum", 2);
        conf.setInt("fs.s3a.retry.limit", 2);
        return conf;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
