// Runs a one-NameNode, one-DataNode HDFS (MiniDFSCluster) on 127.0.0.1 with fixed ports and a
// persistent base directory, until the process is terminated. Started by harness/services/hdfs.py.
// In a pod (harness/services/incluster.py) it listens on every address (-Dcronharness.bind=0.0.0.0) and
// the DataNode advertises its Service's DNS name (-Dcronharness.datanode.hostname) for clients that
// connect by hostname (dfs.client.use.datanode.hostname).

import java.io.File;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import sun.misc.Signal;

public final class HdfsLauncher {
    /** The address every listener binds: loopback on the test host, every address in a pod. */
    private static final String BIND = System.getProperty("cronharness.bind", "127.0.0.1");
    /** The name the DataNode registers under (what WebHDFS redirects to and hostname clients dial). */
    private static final String DATANODE_HOSTNAME = System.getProperty("cronharness.datanode.hostname", "127.0.0.1");
    private HdfsLauncher() {
    }

    private static int port(final String value, final String role) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad " + role + " port: " + value, e);
        }
    }

    /**
     * Arguments: base-dir nn-rpc-port nn-http-port dn-transfer-port dn-http-port dn-ipc-port format(true|false).
     */
    public static void main(final String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: HdfsLauncher BASE_DIR NN_RPC NN_HTTP DN_XFER DN_HTTP DN_IPC FORMAT");
            System.exit(2);
        }
        final File baseDir = new File(args[0]);
        final int nnRpc = port(args[1], "namenode rpc");
        final int nnHttp = port(args[2], "namenode http");
        final String bind = BIND + ":";
        final Configuration conf = new Configuration();
        // Every listener on BIND, and the DataNode advertises DATANODE_HOSTNAME: on the test host both are
        // 127.0.0.1, so WebHDFS redirects and block transfers stay on this machine.
        conf.set("dfs.datanode.address", bind + port(args[3], "datanode transfer"));
        conf.set("dfs.datanode.http.address", bind + port(args[4], "datanode http"));
        conf.set("dfs.datanode.ipc.address", bind + port(args[5], "datanode ipc"));
        conf.set("dfs.datanode.hostname", DATANODE_HOSTNAME);
        conf.set("dfs.namenode.http-address", bind + nnHttp);
        // MiniDFSCluster puts the NameNode's RPC address on 127.0.0.1; the bind hosts move its listeners.
        conf.set("dfs.namenode.rpc-bind-host", BIND);
        conf.set("dfs.namenode.http-bind-host", BIND);
        // The DataNode registers from inside the pod under a Service name that does not resolve back to its
        // address: the NameNode must not insist that it does.
        conf.setBoolean("dfs.namenode.datanode.registration.ip-hostname-check", false);
        conf.setBoolean("dfs.webhdfs.enabled", true);
        // A test store: any client user may write anywhere, and one replica is all there is.
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.setInt("dfs.replication", 1);
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());

        final MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, baseDir)
                .nameNodePort(nnRpc)
                .nameNodeHttpPort(nnHttp)
                .numDataNodes(1)
                // MiniDFSCluster sets each DataNode's hostname from this list (else its own default).
                .hosts(new String[] {DATANODE_HOSTNAME})
                .storagesPerDatanode(1)
                .checkDataNodeAddrConfig(true)
                .format(Boolean.parseBoolean(args[6]))
                .build();
        // Shut down on SIGTERM/SIGINT before the JVM's own shutdown starts: Hadoop's services
        // unregister shutdown hooks while stopping, which fails once JVM shutdown is in progress.
        final CountDownLatch stopped = new CountDownLatch(1);
        for (final String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), received -> stopped.countDown());
        }
        cluster.waitActive();
        System.out.println("HDFS ready: hdfs://127.0.0.1:" + nnRpc + " webhdfs http://127.0.0.1:" + nnHttp
                + "/webhdfs/v1");
        System.out.flush();
        stopped.await();
        // Not cluster.shutdown(): it schedules the whole base directory for deletion at exit.
        cluster.shutdownDataNodes();
        cluster.shutdownNameNodes();
        System.out.println("HDFS stopped");
        System.exit(0);
    }
}
