// Runs one Elasticsearch 8 node in-process from the official server and module jars on Maven Central,
// bound to 127.0.0.1 (or the address in -Dcronharness.bind: 0.0.0.0 in a pod) on fixed ports, with its
// data under a base directory that survives restarts.
// Started by harness/services/elasticsearch.py; stops on SIGTERM (the node is closed cleanly).
// Needed because org.codelibs:elasticsearch-cluster-runner 8.x is not published on Maven Central.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

public final class ElasticsearchLauncher {
    /** The address HTTP and transport listen on: loopback on the test host, every address in a pod. */
    private static final String BIND = System.getProperty("cronharness.bind", "127.0.0.1");

    private ElasticsearchLauncher() {
    }

    /** Arguments: base-dir http-port transport-port cluster-name. */
    public static void main(final String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ElasticsearchLauncher BASE_DIR HTTP_PORT TRANSPORT_PORT CLUSTER_NAME");
            System.exit(2);
        }
        final Path home = Path.of(args[0]).toAbsolutePath();
        for (final String dir : List.of("config", "data", "logs", "modules", "plugins")) {
            Files.createDirectories(home.resolve(dir));
        }
        final Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", args[3])
                .put("node.name", "node-1")
                .put("network.host", BIND)
                .put("http.port", args[1])
                .put("transport.port", args[2])
                .put("discovery.type", "single-node")
                // Tests fill small disks on shared machines: never turn indices read-only for that.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                // No log4j2.properties: INFO to the console, which the harness keeps as the service log.
                .put("logger.level", "INFO")
                .build();
        LogConfigurator.configureWithoutConfig(settings);
        final Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> "node-1");
        final Node node = new ClasspathNode(environment, List.of(Netty4Plugin.class));
        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (final Exception e) {
                System.err.println("closing Elasticsearch failed: " + e);
            }
            closed.countDown();
        }));
        node.start();
        System.out.println("Elasticsearch ready: http://" + BIND + ":" + args[1]);
        System.out.flush();
        closed.await();
    }
}
