package jolokia

import (
	_ "embed"
	"fmt"
	"strings"
)

// Object names of the Cassandra 4.1 MBeans the simulator exposes.
const (
	StorageServiceName     = "org.apache.cassandra.db:type=StorageService"
	StorageProxyName       = "org.apache.cassandra.db:type=StorageProxy"
	CompactionManagerName  = "org.apache.cassandra.db:type=CompactionManager"
	EndpointSnitchInfoName = "org.apache.cassandra.db:type=EndpointSnitchInfo"
	HintsServiceName       = "org.apache.cassandra.hints:type=HintsService"
)

// listStorageService is the `list` of StorageService captured from a real
// Cassandra 4.1.6 node (copy of testdata/cassandra-4.1.6/jolokia/list_storageservice.json).
//
//go:embed list_storageservice.json
var listStorageService []byte

var storageService = func() *MBean {
	mb, err := LoadList(listStorageService)
	if err != nil {
		panic(err)
	}
	return mb
}()

// StorageService returns the metadata of Cassandra 4.1.6's StorageService
// MBean exactly as a real node lists it (152 attributes, 90 operation names
// with their overloads), without implementations.
func StorageService() *MBean { return storageService.Clone() }

// The MBean interfaces below are Cassandra 4.1's, one method per line with
// erased JVM type names, in declaration order. The JMX standard MBean rules
// turn them into attributes and operations (see fromInterface).

// storageProxyMBean is src/java/org/apache/cassandra/service/StorageProxyMBean.java
// (4.1). Left out because they came after 4.1 (their settings are absent from
// 4.1.6's system_views.settings): DumpHeapOnUncaughtException,
// SStableReadRatePersistenceEnabled, ClientRequestSizeMetricsEnabled.
const storageProxyMBean = `
long getTotalHints()
boolean getHintedHandoffEnabled()
void setHintedHandoffEnabled(boolean)
void enableHintsForDC(java.lang.String)
void disableHintsForDC(java.lang.String)
java.util.Set getHintedHandoffDisabledDCs()
int getMaxHintWindow()
void setMaxHintWindow(int)
int getMaxHintsSizePerHostInMiB()
void setMaxHintsSizePerHostInMiB(int)
int getMaxHintsInProgress()
void setMaxHintsInProgress(int)
int getHintsInProgress()
java.lang.Long getRpcTimeout()
void setRpcTimeout(java.lang.Long)
java.lang.Long getReadRpcTimeout()
void setReadRpcTimeout(java.lang.Long)
java.lang.Long getWriteRpcTimeout()
void setWriteRpcTimeout(java.lang.Long)
java.lang.Long getCounterWriteRpcTimeout()
void setCounterWriteRpcTimeout(java.lang.Long)
java.lang.Long getCasContentionTimeout()
void setCasContentionTimeout(java.lang.Long)
java.lang.Long getRangeRpcTimeout()
void setRangeRpcTimeout(java.lang.Long)
java.lang.Long getTruncateRpcTimeout()
void setTruncateRpcTimeout(java.lang.Long)
void setNativeTransportMaxConcurrentConnections(java.lang.Long)
java.lang.Long getNativeTransportMaxConcurrentConnections()
void reloadTriggerClasses()
long getReadRepairAttempted()
long getReadRepairRepairedBlocking()
long getReadRepairRepairedBackground()
long getReadRepairRepairTimedOut()
int getOtcBacklogExpirationInterval()
void loadPartitionDenylist()
int getPartitionDenylistLoadAttempts()
int getPartitionDenylistLoadSuccesses()
void setEnablePartitionDenylist(boolean)
void setEnableDenylistWrites(boolean)
void setEnableDenylistReads(boolean)
void setEnableDenylistRangeReads(boolean)
boolean denylistKey(java.lang.String,java.lang.String,java.lang.String)
boolean removeDenylistKey(java.lang.String,java.lang.String,java.lang.String)
void setDenylistMaxKeysPerTable(int)
void setDenylistMaxKeysTotal(int)
boolean isKeyDenylisted(java.lang.String,java.lang.String,java.lang.String)
void setOtcBacklogExpirationInterval(int)
java.util.Map getSchemaVersions()
java.util.Map getSchemaVersionsWithPort()
int getNumberOfTables()
java.lang.String getIdealConsistencyLevel()
java.lang.String setIdealConsistencyLevel(java.lang.String)
void logBlockingReadRepairAttemptsForNSeconds(int)
boolean isLoggingReadRepairs()
void enableRepairedDataTrackingForRangeReads()
void disableRepairedDataTrackingForRangeReads()
boolean getRepairedDataTrackingEnabledForRangeReads()
void enableRepairedDataTrackingForPartitionReads()
void disableRepairedDataTrackingForPartitionReads()
boolean getRepairedDataTrackingEnabledForPartitionReads()
void enableReportingUnconfirmedRepairedDataMismatches()
void disableReportingUnconfirmedRepairedDataMismatches()
boolean getReportingUnconfirmedRepairedDataMismatchesEnabled()
void enableSnapshotOnRepairedDataMismatch()
void disableSnapshotOnRepairedDataMismatch()
boolean getSnapshotOnRepairedDataMismatchEnabled()
void enableSnapshotOnDuplicateRowDetection()
void disableSnapshotOnDuplicateRowDetection()
boolean getSnapshotOnDuplicateRowDetectionEnabled()
boolean getCheckForDuplicateRowsDuringReads()
void enableCheckForDuplicateRowsDuringReads()
void disableCheckForDuplicateRowsDuringReads()
boolean getCheckForDuplicateRowsDuringCompaction()
void enableCheckForDuplicateRowsDuringCompaction()
void disableCheckForDuplicateRowsDuringCompaction()
void setPaxosVariant(java.lang.String)
java.lang.String getPaxosVariant()
boolean getUseStatementsEnabled()
void setUseStatementsEnabled(boolean)
void setPaxosContentionStrategy(java.lang.String)
java.lang.String getPaxosContentionStrategy()
void setPaxosCoordinatorLockingDisabled(boolean)
boolean getPaxosCoordinatorLockingDisabled()
`

// compactionManagerMBean is src/java/org/apache/cassandra/db/compaction/CompactionManagerMBean.java (4.1).
const compactionManagerMBean = `
java.util.List getCompactions()
java.util.List getCompactionSummary()
javax.management.openmbean.TabularData getCompactionHistory()
void forceUserDefinedCompaction(java.lang.String)
void forceUserDefinedCleanup(java.lang.String)
void stopCompaction(java.lang.String)
void stopCompactionById(java.lang.String)
int getCoreCompactorThreads()
void setCoreCompactorThreads(int)
int getMaximumCompactorThreads()
void setMaximumCompactorThreads(int)
int getCoreValidationThreads()
void setCoreValidationThreads(int)
int getMaximumValidatorThreads()
void setMaximumValidatorThreads(int)
int getCoreViewBuildThreads()
boolean getDisableSTCSInL0()
void setDisableSTCSInL0(boolean)
void setCoreViewBuildThreads(int)
int getMaximumViewBuildThreads()
void setMaximumViewBuildThreads(int)
boolean getAutomaticSSTableUpgradeEnabled()
void setAutomaticSSTableUpgradeEnabled(boolean)
int getMaxConcurrentAutoUpgradeTasks()
void setMaxConcurrentAutoUpgradeTasks(int)
`

// endpointSnitchInfoMBean is src/java/org/apache/cassandra/locator/EndpointSnitchInfoMBean.java (4.1).
const endpointSnitchInfoMBean = `
java.lang.String getRack(java.lang.String)
java.lang.String getDatacenter(java.lang.String)
java.lang.String getRack()
java.lang.String getDatacenter()
java.lang.String getSnitchName()
`

// hintsServiceMBean is src/java/org/apache/cassandra/hints/HintsServiceMBean.java (4.1).
const hintsServiceMBean = `
void pauseDispatch()
void resumeDispatch()
void deleteAllHints()
void deleteAllHintsForEndpoint(java.lang.String)
java.util.List getPendingHints()
`

var (
	storageProxy       = fromInterface(StorageProxyName, "org.apache.cassandra.service.StorageProxy", storageProxyMBean)
	compactionManager  = fromInterface(CompactionManagerName, "org.apache.cassandra.db.compaction.CompactionManager", compactionManagerMBean)
	endpointSnitchInfo = fromInterface(EndpointSnitchInfoName, "org.apache.cassandra.locator.EndpointSnitchInfo", endpointSnitchInfoMBean)
	hintsService       = fromInterface(HintsServiceName, "org.apache.cassandra.hints.HintsService", hintsServiceMBean)
)

// StorageProxy returns the metadata of org.apache.cassandra.db:type=StorageProxy
// (MaxHintWindow, HintedHandoffEnabled, MaxHintsSizePerHostInMiB, the
// timeouts, enableHintsForDC/disableHintsForDC ...).
func StorageProxy() *MBean { return storageProxy.Clone() }

// CompactionManager returns the metadata of org.apache.cassandra.db:type=CompactionManager
// (CoreCompactorThreads, MaximumCompactorThreads, ...).
func CompactionManager() *MBean { return compactionManager.Clone() }

// EndpointSnitchInfo returns the metadata of org.apache.cassandra.db:type=EndpointSnitchInfo.
func EndpointSnitchInfo() *MBean { return endpointSnitchInfo.Clone() }

// HintsService returns the metadata of org.apache.cassandra.hints:type=HintsService.
func HintsService() *MBean { return hintsService.Clone() }

// CassandraMBeans returns fresh copies of all the MBeans above.
func CassandraMBeans() []*MBean {
	return []*MBean{StorageService(), StorageProxy(), CompactionManager(), EndpointSnitchInfo(), HintsService()}
}

// fromInterface applies the JMX standard MBean introspection rules to an
// MBean interface: getX() (non-void, no parameter) and isX() (returning
// boolean) are readers of attribute X, setX(T) returning void its writer,
// everything else is an operation (parameters p1, p2, ...). Attributes and
// operations keep the order of their first method.
func fromInterface(objectName, class, decls string) *MBean {
	mb := &MBean{ObjectName: objectName, Class: class, Desc: StandardMBeanDesc}
	access := map[*Attribute]string{}
	for _, line := range strings.Split(strings.TrimSpace(decls), "\n") {
		ret, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
		name, params, ok2 := strings.Cut(rest, "(")
		if !ok || !ok2 || !strings.HasSuffix(params, ")") {
			panic(fmt.Sprintf("jolokia: bad declaration %q", line))
		}
		var types []string
		if p := strings.TrimSuffix(params, ")"); p != "" {
			types = strings.Split(p, ",")
		}
		attr, kind := "", ""
		switch {
		case strings.HasPrefix(name, "get") && len(name) > 3 && len(types) == 0 && ret != "void":
			attr, kind = name[3:], "get"
		case strings.HasPrefix(name, "is") && len(name) > 2 && len(types) == 0 && ret == "boolean":
			attr, kind = name[2:], "get"
		case strings.HasPrefix(name, "set") && len(name) > 3 && len(types) == 1 && ret == "void":
			attr, kind = name[3:], "set"
		}
		if attr == "" {
			op := &Operation{Name: name, Ret: ret, Desc: StandardOperationDesc}
			for i, t := range types {
				op.Args = append(op.Args, Arg{Name: fmt.Sprintf("p%d", i+1), Type: t})
			}
			mb.Ops = append(mb.Ops, op)
			continue
		}
		a := mb.Attribute(attr)
		if a == nil {
			a = &Attribute{Name: attr, Desc: StandardAttributeDesc}
			mb.Attrs = append(mb.Attrs, a)
			access[a] = ""
		}
		if kind == "get" {
			a.Type = ret
		} else if a.Type == "" {
			a.Type = types[0]
		}
		access[a] += kind
	}
	for a, acc := range access {
		hasGet, hasSet := strings.Contains(acc, "get"), strings.Contains(acc, "set")
		a.RW = hasGet && hasSet
		a.WriteOnly = hasSet && !hasGet
	}
	return mb
}
