; NSIS script of the IFC Desktop installer (64-bit Windows).
;
; Built by installer/build_windows.sh, which passes:
;   APP_VERSION       e.g. 0.1.0
;   APP_VERSION_QUAD  e.g. 0.1.0.0 (Windows version resource)
;   DIST_DIR          the PyInstaller one-folder output ("IFC Desktop")
;   UNINSTALL_LIST    a generated .nsh that deletes DIST_DIR's top-level entries
;   ICON_FILE, OUT_FILE
;
; Per-user install (default, no elevation): %LOCALAPPDATA%\Programs\IFC Desktop
; Per-machine install (/AllUsers or the install-mode page): %ProgramFiles%\IFC Desktop
; Silent: setup.exe /S [/CurrentUser | /AllUsers] [/D=C:\path\without\quotes]
; User data (%LOCALAPPDATA%\IFC Desktop) is never touched by install or uninstall.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
SetCompressorDictSize 64
ManifestDPIAware true

!define APP_NAME "IFC Desktop"
!define GUI_EXE "IFC Desktop.exe"
!define CLI_EXE "ifc-desktop.exe"
!define PROG_ID "IFCDesktop.Model"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define APP_PATHS_KEY "Software\Microsoft\Windows\CurrentVersion\App Paths\${GUI_EXE}"

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
BrandingText "${APP_NAME} ${APP_VERSION}"

VIProductVersion "${APP_VERSION_QUAD}"
VIFileVersion "${APP_VERSION_QUAD}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP_NAME} ${APP_VERSION} setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${APP_NAME}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${APP_NAME}"

; ---------------------------------------------------------------- per-user / per-machine
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
; A previous install decides the mode and folder of an update and of the uninstaller.
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${UNINST_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallLocation"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${UNINST_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include x64.nsh

; ---------------------------------------------------------------- pages
!define MUI_ICON "${ICON_FILE}"
!define MUI_UNICON "${ICON_FILE}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"
!define MUI_UNCONFIRMPAGE_TEXT_TOP "${APP_NAME} will be removed from $INSTDIR. \
Your models and their version history in %LOCALAPPDATA%\${APP_NAME} are kept."

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Var CmdLineInstDir

Function .onInit
    ${IfNot} ${RunningX64}
        MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} needs 64-bit Windows." /SD IDOK
        Abort
    ${EndIf}
    SetRegView 64
    ; MultiUser sets its default folder; keep a folder given with /D= instead.
    StrCpy $CmdLineInstDir $INSTDIR
    !insertmacro MULTIUSER_INIT
    ${If} $CmdLineInstDir != ""
        StrCpy $INSTDIR $CmdLineInstDir
    ${EndIf}
FunctionEnd

Function un.onInit
    SetRegView 64
    !insertmacro MULTIUSER_UNINIT
FunctionEnd

; ---------------------------------------------------------------- file types
!macro RegisterExtension EXT
    WriteRegStr SHCTX "Software\Classes\${EXT}\OpenWithProgids" "${PROG_ID}" ""
    WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\${EXT}\shell\${PROG_ID}" "" "Open with ${APP_NAME}"
    WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\${EXT}\shell\${PROG_ID}" "Icon" "$INSTDIR\${GUI_EXE},0"
    WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\${EXT}\shell\${PROG_ID}\command" "" '"$INSTDIR\${GUI_EXE}" "%1"'
!macroend

!macro UnregisterExtension EXT
    DeleteRegValue SHCTX "Software\Classes\${EXT}\OpenWithProgids" "${PROG_ID}"
    DeleteRegKey /ifempty SHCTX "Software\Classes\${EXT}\OpenWithProgids"
    DeleteRegKey /ifempty SHCTX "Software\Classes\${EXT}"
    DeleteRegKey SHCTX "Software\Classes\SystemFileAssociations\${EXT}\shell\${PROG_ID}"
    DeleteRegKey /ifempty SHCTX "Software\Classes\SystemFileAssociations\${EXT}\shell"
    DeleteRegKey /ifempty SHCTX "Software\Classes\SystemFileAssociations\${EXT}"
!macroend

; ---------------------------------------------------------------- install
Section "Install"
    SetOutPath "$INSTDIR"
    File /r "${DIST_DIR}/*"
    WriteUninstaller "$INSTDIR\uninstall.exe"

    CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0

    ; Add/Remove Programs (HKLM for all users, HKCU for this user: SHCTX follows the mode)
    WriteRegStr SHCTX "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
    WriteRegStr SHCTX "${UNINST_KEY}" "DisplayVersion" "${APP_VERSION}"
    WriteRegStr SHCTX "${UNINST_KEY}" "Publisher" "${APP_NAME}"
    WriteRegStr SHCTX "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
    WriteRegStr SHCTX "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr SHCTX "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
    WriteRegStr SHCTX "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
    WriteRegDWORD SHCTX "${UNINST_KEY}" "NoModify" 1
    WriteRegDWORD SHCTX "${UNINST_KEY}" "NoRepair" 1
    ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
    IntFmt $0 "0x%08X" $0
    WriteRegDWORD SHCTX "${UNINST_KEY}" "EstimatedSize" "$0"

    ; "ifc-desktop" and "IFC Desktop" from the Run box
    WriteRegStr SHCTX "${APP_PATHS_KEY}" "" "$INSTDIR\${GUI_EXE}"
    WriteRegStr SHCTX "${APP_PATHS_KEY}" "Path" "$INSTDIR"

    ; "Open with IFC Desktop" for .ifc and .ifczip, passing the file to the window.
    ; The user's default program for these types is left as it is.
    WriteRegStr SHCTX "Software\Classes\${PROG_ID}" "" "IFC model"
    WriteRegStr SHCTX "Software\Classes\${PROG_ID}\DefaultIcon" "" "$INSTDIR\${GUI_EXE},0"
    WriteRegStr SHCTX "Software\Classes\${PROG_ID}\shell\open" "FriendlyAppName" "${APP_NAME}"
    WriteRegStr SHCTX "Software\Classes\${PROG_ID}\shell\open\command" "" '"$INSTDIR\${GUI_EXE}" "%1"'
    WriteRegStr SHCTX "Software\Classes\Applications\${GUI_EXE}" "FriendlyAppName" "${APP_NAME}"
    WriteRegStr SHCTX "Software\Classes\Applications\${GUI_EXE}\shell\open\command" "" '"$INSTDIR\${GUI_EXE}" "%1"'
    WriteRegStr SHCTX "Software\Classes\Applications\${GUI_EXE}\SupportedTypes" ".ifc" ""
    WriteRegStr SHCTX "Software\Classes\Applications\${GUI_EXE}\SupportedTypes" ".ifczip" ""
    !insertmacro RegisterExtension ".ifc"
    !insertmacro RegisterExtension ".ifczip"
    System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

; ---------------------------------------------------------------- uninstall
; Removes exactly what the installer wrote. The data folder of the app
; (%LOCALAPPDATA%\IFC Desktop: database, model sources, logs) is the user's and stays.
Section "Uninstall"
    !include "${UNINSTALL_LIST}"
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"

    Delete "$SMPROGRAMS\${APP_NAME}.lnk"

    !insertmacro UnregisterExtension ".ifc"
    !insertmacro UnregisterExtension ".ifczip"
    DeleteRegKey SHCTX "Software\Classes\${PROG_ID}"
    DeleteRegKey SHCTX "Software\Classes\Applications\${GUI_EXE}"
    DeleteRegKey SHCTX "${APP_PATHS_KEY}"
    DeleteRegKey SHCTX "${UNINST_KEY}"
    System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd
