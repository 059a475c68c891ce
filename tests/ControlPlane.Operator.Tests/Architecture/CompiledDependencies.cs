using System.Reflection;
using System.Reflection.Emit;

namespace ControlPlane.Operator.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which types, read from what the compiler emitted (signatures, base types,
/// attributes and every type, method and field token in the method bodies), not from <c>using</c> lines: an unused
/// using is no dependency, and a fully qualified name or a <c>var</c> is one.
/// </summary>
internal static class CompiledDependencies
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    static CompiledDependencies()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            var value = (ushort)code.Value;
            if (value < 0x100)
            {
                OneByte[value] = code;
            }
            else if ((value & 0xff00) == 0xfe00)
            {
                TwoByte[value & 0xff] = code;
            }
        }
    }

    /// <summary>Every (user, used) pair of types of <paramref name="assembly"/>; nested and compiler-generated types count as their outermost type.</summary>
    public static IReadOnlyList<(Type From, Type To)> TypeReferences(Assembly assembly)
    {
        var pairs = new HashSet<(Type, Type)>();
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            var used = new HashSet<Type>();
            Collect(type.BaseType, used);
            foreach (var i in type.GetInterfaces())
            {
                Collect(i, used);
            }

            foreach (var attribute in type.GetCustomAttributesData())
            {
                Collect(attribute.AttributeType, used);
            }

            foreach (var field in type.GetFields(Declared))
            {
                Collect(field.FieldType, used);
            }

            foreach (var property in type.GetProperties(Declared))
            {
                Collect(property.PropertyType, used);
            }

            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (method is MethodInfo info)
                {
                    Collect(info.ReturnType, used);
                }

                foreach (var parameter in method.GetParameters())
                {
                    Collect(parameter.ParameterType, used);
                }

                foreach (var attribute in method.GetCustomAttributesData())
                {
                    Collect(attribute.AttributeType, used);
                }

                CollectBody(method, used);
            }

            foreach (var to in used)
            {
                pairs.Add((from, Outermost(to)));
            }
        }

        return [.. pairs];
    }

    private static void CollectBody(MethodBase method, HashSet<Type> used)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        foreach (var local in method.GetMethodBody()!.LocalVariables)
        {
            Collect(local.LocalType, used);
        }

        for (var i = 0; i < il.Length;)
        {
            OpCode code;
            if (il[i] == 0xfe)
            {
                code = TwoByte[il[i + 1]];
                i += 2;
            }
            else
            {
                code = OneByte[il[i]];
                i += 1;
            }

            switch (code.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI or OperandType.InlineBrTarget or OperandType.InlineString or OperandType.InlineSig or OperandType.ShortInlineR:
                    i += 4;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    // A token that does not resolve is a broken assumption of this reader, not a dependency to skip: it throws.
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments);
                    i += 4;
                    Collect(member, used);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown operand type {code.OperandType} in {method.DeclaringType}.{method.Name}");
            }
        }
    }

    private static void Collect(MemberInfo? member, HashSet<Type> used)
    {
        switch (member)
        {
            case null:
                return;
            case Type type:
                Collect(type, used);
                return;
            case MethodBase method:
                Collect(method.DeclaringType, used);
                if (method is MethodInfo { IsGenericMethod: true } generic)
                {
                    foreach (var argument in generic.GetGenericArguments())
                    {
                        Collect(argument, used);
                    }
                }

                return;
            case FieldInfo field:
                Collect(field.DeclaringType, used);
                Collect(field.FieldType, used);
                return;
        }
    }

    private static void Collect(Type? type, HashSet<Type> used)
    {
        if (type is null || type.IsGenericParameter)
        {
            return;
        }

        if (type.HasElementType)
        {
            Collect(type.GetElementType(), used);
            return;
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Collect(argument, used);
            }

            type = type.GetGenericTypeDefinition();
        }

        used.Add(type);
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type;
    }
}
