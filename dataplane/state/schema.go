package state

import (
	"github.com/hashicorp/go-memdb"
)

// Table and index names.
const (
	TableEndpoints   = "endpoints"
	TableCredentials = "credentials"

	IndexID       = "id"
	IndexProvider = "provider"
	IndexTask     = "task"
)

// Schema returns the read model's go-memdb schema.
func Schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableEndpoints:   endpointsTable(),
		TableCredentials: credentialsTable(),
	}}
}

func endpointsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableEndpoints,
		Indexes: map[string]*memdb.IndexSchema{
			IndexID:   {Name: IndexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
			IndexTask: {Name: IndexTask, Indexer: &memdb.StringFieldIndex{Field: "Task"}},
		},
	}
}

func credentialsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableCredentials,
		Indexes: map[string]*memdb.IndexSchema{
			IndexID:       {Name: IndexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
			IndexProvider: {Name: IndexProvider, Indexer: &memdb.StringFieldIndex{Field: "Provider"}},
		},
	}
}
