# CEP-1's cassandra-env.sh addition ("6. Metrics"): load every JVM agent
# dropped into $CASSANDRA_HOME/agents, each with the options in a non-empty
# <name>.options beside it. ringside needs one agent, Jolokia, bound to
# loopback (it has no authentication):
#
#   Debian/RPM packages: CASSANDRA_HOME=/usr/share/cassandra, and this file
#   goes at the end of /etc/cassandra/cassandra-env.sh:
#
#     mkdir -p /usr/share/cassandra/agents
#     cp jolokia-jvm-1.7.1.jar /usr/share/cassandra/agents/jolokia.jar   # org.jolokia:jolokia-jvm:1.7.1, classifier agent
#     echo 'host=127.0.0.1,port=8778,discoveryEnabled=false' > /usr/share/cassandra/agents/jolokia.options
#     cat /usr/share/doc/ringside/cassandra-env-agents.sh >> /etc/cassandra/cassandra-env.sh
#     systemctl restart cassandra
#     curl -s http://127.0.0.1:8778/jolokia/version
#
#   A tarball: the same with $CASSANDRA_HOME/agents and conf/cassandra-env.sh.
#
# Without the agent, set cassandra.jolokia_url: "" in
# /etc/ringside/ringside.yaml and ringside uses nodetool. More:
# /usr/share/doc/ringside/packaging.md and docs/real-node.md in the sources.

# Pull in any agents present in CASSANDRA_HOME
for agent_file in ${CASSANDRA_HOME}/agents/*.jar; do
  if [ -e "${agent_file}" ]; then
    base_file="${agent_file%.jar}"
    if [ -s "${base_file}.options" ]; then
      options=`cat ${base_file}.options`
      agent_file="${agent_file}=${options}"
    fi
    JVM_OPTS="$JVM_OPTS -javaagent:${agent_file}"
  fi
done

for agent_file in ${CASSANDRA_HOME}/agents/*.so; do
  if [ -e "${agent_file}" ]; then
    base_file="${agent_file%.so}"
    if [ -s "${base_file}.options" ]; then
      options=`cat ${base_file}.options`
      agent_file="${agent_file}=${options}"
    fi
    JVM_OPTS="$JVM_OPTS -agentpath:${agent_file}"
  fi
done
