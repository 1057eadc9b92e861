// Runs one OpenSearch node (codelibs' OpenSearchRunner: the real server with its modules in-process)
// bound to 127.0.0.1 (or the address in -Dcronharness.bind: 0.0.0.0 in a pod) on fixed ports, with its
// data under a base directory that survives restarts.
// Started by harness/services/opensearch.py; stops on SIGTERM (the runner closes the node).

import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class OpenSearchLauncher {
    /** The address HTTP and transport listen on: loopback on the test host, every address in a pod. */
    private static final String BIND = System.getProperty("cronharness.bind", "127.0.0.1");

    private OpenSearchLauncher() {
    }

    /** Arguments: base-dir http-port transport-port cluster-name. */
    public static void main(final String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenSearchLauncher BASE_DIR HTTP_PORT TRANSPORT_PORT CLUSTER_NAME");
            System.exit(2);
        }
        final String httpPort = args[1];
        final String transportPort = args[2];
        final OpenSearchRunner runner = new OpenSearchRunner();
        // The given ports as they are: no probing for a free one in 9200-9299.
        runner.setMaxHttpPort(-1);
        runner.onBuild((index, settings) -> {
            settings.put("network.host", BIND);
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPort);
            settings.put("discovery.type", "single-node");
            // Tests fill small disks on shared machines: never turn indices read-only for that.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        });
        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("closing OpenSearch failed: " + e);
            }
            closed.countDown();
        }));
        runner.build(OpenSearchRunner.newConfigs().basePath(args[0]).numOfNode(1).clusterName(args[3]));
        runner.ensureYellow();
        System.out.println("OpenSearch ready: http://" + BIND + ":" + httpPort);
        System.out.flush();
        closed.await();
    }
}
