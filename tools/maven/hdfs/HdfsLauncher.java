// Runs a one-NameNode, one-DataNode HDFS (MiniDFSCluster) on 127.0.0.1 with fixed ports and a
// persistent base directory, until the process is terminated. Started by harness/services/hdfs.py.
// In a pod (harness/services/incluster.py) it listens on every address (-Dcronharness.bind=0.0.0.0) and
// the DataNode registers at the pod's address (-Dcronharness.advertise=<pod IP>), which every pod can dial.

import java.io.File;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import sun.misc.Signal;

public final class HdfsLauncher {
    /** The address every listener binds: loopback on the test host, every address in a pod. */
    private static final String BIND = System.getProperty("cronharness.bind", "127.0.0.1");
    /** The address the DataNode registers at: clients read and write blocks there, WebHDFS redirects to it. */
    private static final String ADVERTISE = System.getProperty("cronharness.advertise", "127.0.0.1");
    private HdfsLauncher() {
    }

    private static int port(final String value, final String role) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad " + role + " port: " + value, e);
        }
    }

    /** True when a NameNode image is under baseDir (a name directory with current/VERSION): formatted before. */
    private static boolean formatted(final File baseDir) {
        final File[] names = baseDir.listFiles((dir, name) -> name.startsWith("name"));
        if (names != null) {
            for (final File name : names) {
                if (new File(name, "current/VERSION").isFile()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Arguments: base-dir nn-rpc-port nn-http-port dn-transfer-port dn-http-port dn-ipc-port format(true|false|auto);
     * auto formats only a base directory without a file system image, so a restart keeps the files.
     */
    public static void main(final String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: HdfsLauncher BASE_DIR NN_RPC NN_HTTP DN_XFER DN_HTTP DN_IPC true|false|auto");
            System.exit(2);
        }
        final File baseDir = new File(args[0]);
        final int nnRpc = port(args[1], "namenode rpc");
        final int nnHttp = port(args[2], "namenode http");
        final String bind = BIND + ":";
        final Configuration conf = new Configuration();
        // Every listener on BIND; the DataNode is named by ADVERTISE (on the test host both are 127.0.0.1, so
        // WebHDFS redirects and block transfers stay on this machine).
        conf.set("dfs.datanode.address", bind + port(args[3], "datanode transfer"));
        conf.set("dfs.datanode.http.address", bind + port(args[4], "datanode http"));
        conf.set("dfs.datanode.ipc.address", bind + port(args[5], "datanode ipc"));
        conf.set("dfs.datanode.hostname", ADVERTISE);
        conf.set("dfs.namenode.http-address", bind + nnHttp);
        // MiniDFSCluster puts the NameNode's RPC address on 127.0.0.1; the bind hosts move its listeners.
        conf.set("dfs.namenode.rpc-bind-host", BIND);
        conf.set("dfs.namenode.http-bind-host", BIND);
        // In a pod the DataNode's name (an IP address) has no reverse DNS entry: the NameNode must not insist.
        conf.setBoolean("dfs.namenode.datanode.registration.ip-hostname-check", false);
        conf.setBoolean("dfs.webhdfs.enabled", true);
        // A test store: any client user may write anywhere, and one replica is all there is.
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.setInt("dfs.replication", 1);
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());

        // The NameNode first, alone: the cluster's own DataNode start would register over 127.0.0.1.
        final MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, baseDir)
                .nameNodePort(nnRpc)
                .nameNodeHttpPort(nnHttp)
                .numDataNodes(0)
                .storagesPerDatanode(1)
                .format("auto".equals(args[6]) ? !formatted(baseDir) : Boolean.parseBoolean(args[6]))
                .build();
        // The NameNode records a DataNode at the source address of its registration call, and clients dial
        // that address. So the DataNode calls the NameNode at ADVERTISE: in a pod the recorded address is then
        // the pod's, reachable from every pod, rather than the pod's loopback.
        // Building with no DataNode set the default replication to 0 (MiniDFSCluster caps it at the DataNode
        // count); WebHDFS takes a create's default from the NameNode's configuration.
        cluster.getNameNode().getConf().setInt("dfs.replication", 1);
        conf.setInt("dfs.replication", 1);
        final Configuration dnConf = new HdfsConfiguration(conf);
        // MiniDFSCluster set both to localhost.
        dnConf.set("dfs.namenode.rpc-address", ADVERTISE + ":" + nnRpc);
        dnConf.set("fs.defaultFS", "hdfs://" + ADVERTISE + ":" + nnRpc);
        // No host list (MiniDFSCluster would resolve those names to localhost); the ports and hostname set
        // above are kept (checkDataNodeAddrConfig, checkDataNodeHostConfig); the storage stays in baseDir.
        cluster.startDataNodes(dnConf, 1, null, true, null, null, null, null, null, false, true, true, null,
                null, null);
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
