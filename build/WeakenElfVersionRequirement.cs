// MSBuild inline task (RoslynCodeTaskFactory): marks one symbol-version requirement of an ELF64
// little-endian shared library weak, when the host's libstdc++ does not define that version.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenElfVersionRequirement : Task
{
    [Required] public string LibraryPath { get; set; }
    [Required] public string VersionName { get; set; }
    [Required] public string HostLibraryPaths { get; set; }

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        foreach (var candidate in HostLibraryPaths.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!File.Exists(candidate)) continue;
            if (Contains(File.ReadAllBytes(candidate), Encoding.ASCII.GetBytes(VersionName + "\0")))
            {
                Log.LogMessage(MessageImportance.Low, candidate + " defines " + VersionName + "; " + LibraryPath + " left unchanged.");
                return true;
            }
        }

        var bytes = File.ReadAllBytes(LibraryPath);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F'
            || bytes[4] != 2 || bytes[5] != 1)
        {
            Log.LogError(LibraryPath + " is not a little-endian ELF64 file.");
            return false;
        }

        ulong shoff = BitConverter.ToUInt64(bytes, 0x28);
        ushort shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        ushort shnum = BitConverter.ToUInt16(bytes, 0x3C);
        int changed = 0, found = 0;
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != ShtGnuVerneed) continue;
            int secOffset = checked((int)BitConverter.ToUInt64(bytes, sh + 0x18));
            uint link = BitConverter.ToUInt32(bytes, sh + 0x28);
            int strSh = checked((int)shoff + (int)link * shentsize);
            int strOffset = checked((int)BitConverter.ToUInt64(bytes, strSh + 0x18));

            int verneed = secOffset;
            while (true)
            {
                ushort cnt = BitConverter.ToUInt16(bytes, verneed + 2);
                uint auxOff = BitConverter.ToUInt32(bytes, verneed + 8);
                uint next = BitConverter.ToUInt32(bytes, verneed + 12);
                int aux = verneed + (int)auxOff;
                for (int j = 0; j < cnt; j++)
                {
                    uint name = BitConverter.ToUInt32(bytes, aux + 8);
                    if (ReadCString(bytes, strOffset + (int)name) == VersionName)
                    {
                        found++;
                        ushort flags = BitConverter.ToUInt16(bytes, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            bytes[aux + 4] = (byte)(flags & 0xff);
                            bytes[aux + 5] = (byte)(flags >> 8);
                            changed++;
                        }
                    }
                    uint auxNext = BitConverter.ToUInt32(bytes, aux + 12);
                    if (auxNext == 0) break;
                    aux += (int)auxNext;
                }
                if (next == 0) break;
                verneed += (int)next;
            }
        }

        if (found == 0)
        {
            Log.LogMessage(MessageImportance.Low, LibraryPath + " does not require " + VersionName + ".");
            return true;
        }
        if (changed > 0)
        {
            var temp = LibraryPath + ".weakening";
            File.WriteAllBytes(temp, bytes);
            File.Copy(temp, LibraryPath, true);
            File.Delete(temp);
            Log.LogMessage(MessageImportance.High, "Host libstdc++ lacks " + VersionName + ": marked that requirement weak in " + LibraryPath + ".");
        }
        return true;
    }

    static string ReadCString(byte[] bytes, int offset)
    {
        int end = offset;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, offset, end - offset);
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
