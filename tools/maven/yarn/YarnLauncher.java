// Runs a YARN ResourceManager and one NodeManager in one JVM, until the process is terminated. Started in a pod
// by harness/services/incluster.py, on the spark base image: the NodeManager launches Spark's application
// master and executors as local processes (DefaultContainerExecutor), which find the same Java, Python and
// pyspark as the job images.
//
// Not MiniYARNCluster: it puts its daemons on random ports of the host's name. Here every listener is on every
// address (-Dcronharness.bind) at YARN's default ports, so clients need only yarn.resourcemanager.hostname (the
// Service's DNS name), and the daemons call each other at the pod's address (-Dcronharness.advertise). The
// NodeManager registers under that address's canonical name, the pod's host name, which the chart makes a DNS name
// every pod resolves (podDNS): Spark's driver dials executors' block managers by it.

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;

import sun.misc.Signal;

public final class YarnLauncher {
    private static final String BIND = System.getProperty("cronharness.bind", "127.0.0.1");
    private static final String ADVERTISE = System.getProperty("cronharness.advertise", "127.0.0.1");

    private YarnLauncher() {
    }

    private static String dir(final File base, final String name) {
        final File dir = new File(base, name);
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IllegalStateException("cannot create " + dir);
        }
        return dir.getAbsolutePath();
    }

    private static String property(final String name, final String value) {
        final String safe = value.replace("&", "&amp;").replace("<", "&lt;");
        return "  <property><name>" + name + "</name><value>" + safe + "</value></property>\n";
    }

    /**
     * Arguments: base-dir default-fs memory-mb vcores [name=value ...] (further Hadoop properties); base-dir must
     * be on the classpath (see below).
     */
    public static void main(final String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: YarnLauncher BASE_DIR DEFAULT_FS MEMORY_MB VCORES [NAME=VALUE ...]");
            System.exit(2);
        }
        final File baseDir = new File(args[0]);
        // The file system and the further properties (e.g. the HDFS name service the site's clients use,
        // hdfs://analytix) go to BASE_DIR/core-site.xml, and BASE_DIR must be on the classpath: the NodeManager's
        // localizer, which fetches Spark's staged files from the URIs the clients give, reads its own configuration
        // from there, not from the one built here. (A directory made later would not do: the JVM drops classpath
        // entries missing at its start.)
        final StringBuilder site = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        site.append(property("fs.defaultFS", args[1]));
        for (int i = 4; i < args.length; i++) {
            final int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("not NAME=VALUE: " + args[i]);
            }
            site.append(property(args[i].substring(0, eq), args[i].substring(eq + 1)));
        }
        Files.writeString(Paths.get(baseDir.getPath(), "core-site.xml"), site.append("</configuration>\n"));
        final YarnConfiguration conf = new YarnConfiguration();
        conf.set("hadoop.tmp.dir", dir(baseDir, "tmp"));
        // Every daemon address derives from the host names below with YARN's default ports (8032 clients, 8030
        // application masters, 8031 node managers, 8088 web; 8041 and 8042 the NodeManager's); the listeners
        // bind BIND, and the NodeManager registers as ADVERTISE:8041, which Spark's driver can dial.
        conf.set(YarnConfiguration.RM_HOSTNAME, ADVERTISE);
        conf.set(YarnConfiguration.RM_BIND_HOST, BIND);
        conf.set("yarn.nodemanager.hostname", ADVERTISE);  // the NodeManager addresses default from it
        conf.set(YarnConfiguration.NM_ADDRESS, ADVERTISE + ":8041");
        conf.set(YarnConfiguration.NM_BIND_HOST, BIND);
        conf.set(YarnConfiguration.NM_LOCAL_DIRS, dir(baseDir, "nm-local"));
        conf.set(YarnConfiguration.NM_LOG_DIRS, dir(baseDir, "nm-logs"));
        // What this one node offers; the pod's memory limit covers it. Spark's containers are rounded up to
        // 128 MB steps, so an application master and two 512m executors fit with room.
        conf.setInt(YarnConfiguration.NM_PMEM_MB, Integer.parseInt(args[2]));
        conf.setInt(YarnConfiguration.NM_VCORES, Integer.parseInt(args[3]));
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, Integer.parseInt(args[2]));
        // The pod's cgroup limits memory; YARN's own process-tree checks would count the JVMs' virtual memory.
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // A full test host must not turn the only node unhealthy: the pod's emptyDir is the node's disk.
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
        // First come, first served: one queue, no capacity-scheduler.xml to ship.
        conf.set(YarnConfiguration.RM_SCHEDULER,
                "org.apache.hadoop.yarn.server.resourcemanager.scheduler.fifo.FifoScheduler");
        // Two daemons in one JVM would register the same metrics sources twice.
        DefaultMetricsSystem.setMiniClusterMode(true);

        final ResourceManager resourceManager = new ResourceManager();
        resourceManager.init(conf);
        resourceManager.start();
        final NodeManager nodeManager = new NodeManager();
        nodeManager.init(new YarnConfiguration(conf));
        nodeManager.start();

        final CountDownLatch stopped = new CountDownLatch(1);
        for (final String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), received -> stopped.countDown());
        }
        System.out.println("YARN ready: resource manager " + ADVERTISE + ":8032, node manager " + ADVERTISE
                + ":8041, web http://" + ADVERTISE + ":8088");
        System.out.flush();
        stopped.await();
        nodeManager.stop();
        resourceManager.stop();
        System.out.println("YARN stopped");
        System.exit(0);
    }
}
