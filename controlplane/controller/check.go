package controller

import (
	"fmt"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// The checks below are shared by the reconcile loop and by offline
// validation (gatewayctl validate), so that both find the same problems and
// word them the same way.

// CheckProvider returns the description of the provider an APIKey names. An
// unknown id is an error whose text is the message of a ProviderNotFound
// condition.
func CheckProvider(catalog ProviderCatalog, id string) (providers.Info, error) {
	info, ok := catalog.Info(id)
	if !ok {
		return providers.Info{}, fmt.Errorf("unknown provider %q", id)
	}
	return info, nil
}

// TaskError says that a target's provider cannot serve its Endpoint's task:
// the reason TaskNotSupported.
type TaskError struct {
	// Field is the target's path, e.g. "spec.targets[0]" or "spec.fallbacks[1]".
	Field string
	// Provider is the provider id, APIKey the name of the APIKey naming it.
	Provider, APIKey string
	// Task is the Endpoint's task.
	Task providers.Task
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("%s: provider %q (APIKey %q) cannot serve %s", e.Field, e.Provider, e.APIKey, e.Task)
}

// Reason is the condition reason the error stands for.
func (e *TaskError) Reason() string { return ReasonTaskNotSupported }

// CheckTask reports whether the provider described by info, reached through
// the APIKey apiKey by the target at field, can serve task; when it cannot,
// the error is a *TaskError.
func CheckTask(field string, info providers.Info, apiKey string, task providers.Task) error {
	if info.Supports(task) {
		return nil
	}
	return &TaskError{Field: field, Provider: info.ID, APIKey: apiKey, Task: task}
}
