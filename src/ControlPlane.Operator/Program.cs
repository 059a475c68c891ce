using ControlPlane.Operator.Commands;

return await OperatorCommandLine.Build().Parse(args).InvokeAsync();
