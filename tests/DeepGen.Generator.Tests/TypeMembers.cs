using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>The member names the naming tests compare with the parser's reserved lists.</summary>
internal static class TypeMembers
{
    /// <summary>Names of the public and protected members of <paramref name="type"/> and its bases, constructors, accessors and operators aside.</summary>
    public static List<string> AccessibleNames(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        static bool Visible(MethodBase? method) => method is { IsPublic: true } or { IsFamily: true } or { IsFamilyOrAssembly: true };
        return type.GetMembers(all)
            .Where(member => member switch
            {
                ConstructorInfo => false,
                MethodInfo { IsSpecialName: true } => false,
                MethodInfo method => Visible(method),
                FieldInfo field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
                PropertyInfo property => property.GetAccessors(nonPublic: true).Any(Visible),
                EventInfo e => Visible(e.AddMethod),
                Type nested => nested.IsNestedPublic || nested.IsNestedFamily || nested.IsNestedFamORAssem,
                _ => false,
            })
            .Select(member => member.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The names a type declares, from its symbol in the compilation: members and nested types, constructors aside.</summary>
    public static List<string> DeclaredNames(INamedTypeSymbol type) =>
        [.. type.GetMembers().Where(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol { MethodKind: not MethodKind.Ordinary }).Select(m => m.Name).Distinct()];
}
