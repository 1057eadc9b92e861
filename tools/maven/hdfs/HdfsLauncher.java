// Runs a one-NameNode, one-DataNode HDFS (MiniDFSCluster) on 127.0.0.1 with fixed ports and a
// persistent base directory, until the process is terminated. Started by harness/services/hdfs.py.

import java.io.File;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import sun.misc.Signal;

public final class HdfsLauncher {
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
        final String loopback = "127.0.0.1:";
        final Configuration conf = new Configuration();
        // Every listener on loopback, and the DataNode advertises 127.0.0.1 so WebHDFS redirects
        // and block transfers stay on this machine.
        conf.set("dfs.datanode.address", loopback + port(args[3], "datanode transfer"));
        conf.set("dfs.datanode.http.address", loopback + port(args[4], "datanode http"));
        conf.set("dfs.datanode.ipc.address", loopback + port(args[5], "datanode ipc"));
        conf.set("dfs.datanode.hostname", "127.0.0.1");
        conf.set("dfs.namenode.http-address", loopback + nnHttp);
        conf.setBoolean("dfs.webhdfs.enabled", true);
        // A test store: any client user may write anywhere, and one replica is all there is.
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.setInt("dfs.replication", 1);
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());

        final MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, baseDir)
                .nameNodePort(nnRpc)
                .nameNodeHttpPort(nnHttp)
                .numDataNodes(1)
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
