// Part of the Elasticsearch launcher (see ElasticsearchLauncher.java). Lives in Elasticsearch's node
// package because NodeConstruction and NodeServiceProvider are package-private there.
package org.elasticsearch.node;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/** An Elasticsearch node whose modules are plugin classes on the classpath, not bundle directories. */
public final class ClasspathNode extends Node {
    public ClasspathNode(final Environment environment, final Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment,
                // No bundle directories and no module exports: the server and its modules are on the classpath.
                PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false),
                new NodeServiceProvider() {
                    @Override
                    PluginsService newPluginService(final Environment env, final PluginsLoader loader) {
                        return new ClasspathPluginsService(env, loader, plugins);
                    }
                }, true));
    }
}
