// Part of the Elasticsearch launcher (see ElasticsearchLauncher.java). Lives in Elasticsearch's
// plugins package because the hooks it needs (LoadedPlugin, loadPlugin, loadExtensions) are
// package-private there; on a plain classpath that package is open to us.
package org.elasticsearch.plugins;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.env.Environment;

/** A PluginsService that also loads plugin classes found on the JVM classpath (the bundled modules). */
public final class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> loaded;
    private final PluginsAndModules described;

    public ClasspathPluginsService(final Environment environment, final PluginsLoader loader,
            final Collection<Class<? extends Plugin>> classpathPlugins) {
        super(environment.settings(), environment.configDir(), loader);
        final List<LoadedPlugin> fromClasspath = new ArrayList<>();
        final List<PluginRuntimeInfo> infos = new ArrayList<>(super.info().getPluginInfos());
        for (final Class<? extends Plugin> type : classpathPlugins) {
            final PluginDescriptor descriptor = new PluginDescriptor(type.getName(), "loaded from the classpath",
                    "NA", org.elasticsearch.Version.CURRENT.toString(),
                    Integer.toString(Runtime.version().feature()), type.getName(), null, List.of(),
                    false, false, false, false);
            final Plugin instance = loadPlugin(type, environment.settings(), environment.configDir());
            fromClasspath.add(new LoadedPlugin(descriptor, instance, type.getClassLoader()));
            infos.add(new PluginRuntimeInfo(descriptor));
        }
        loadExtensions(fromClasspath);
        fromClasspath.addAll(super.plugins());
        this.loaded = List.copyOf(fromClasspath);
        this.described = new PluginsAndModules(infos, super.info().getModuleInfos());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        return described;
    }
}
